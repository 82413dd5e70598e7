// The Node.js peer of runtime_bench_app.py: AWS's Node runtime client, same workloads.
const TOKEN = Buffer.from("0123456789abcdef");
const BLOCK = Buffer.alloc(65536, 122);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const drain = (s) => new Promise((r) => s.once("drain", r));
export const handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.setContentType("application/octet-stream");
  if (event.kind === "burst") {
    for (let i = 0; i < (event.n ?? 100000); i++) if (!stream.write(TOKEN)) await drain(stream);
  } else if (event.kind === "large") {
    for (let i = 0; i < 3200; i++) if (!stream.write(BLOCK)) await drain(stream);
  } else if (event.kind === "latency") {
    for (let i = 0; i < (event.n ?? 200); i++) {
      await sleep(10);
      stream.write("T" + process.hrtime.bigint().toString().padStart(19, "0") + "...........\n");
    }
  }
  stream.end();
});
