// A streaming handler as Node.js functions write one: the same response as python/app.py's
// `stream`, so that the two runtimes' answers can be compared byte for byte.
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201,
    headers: { "Content-Type": "text/plain; charset=utf-8", "x-answer": "same" },
    cookies: ["flavour=oat"],
  });
  for (const line of ["first\n", "second\n", "naïve ☃\n"]) {
    stream.write(line);
  }
  stream.end();
});
