// Writes "first", waits until the file `release` exists in the event's `dir`, writes "last":
// the client must have "first" while the function is still waiting.
import { existsSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const { dir } = JSON.parse(event.body);
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
  stream.write("first\n");
  while (!existsSync(`${dir}/release`)) await sleep(10);
  stream.write("last\n");
  writeFileSync(`${dir}/finished`, "");
  stream.end();
});
