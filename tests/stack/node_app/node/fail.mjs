// Fails before writing a byte, as python/app.py's `fail` does.
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  throw new TypeError("bad input");
});
