// Opens its response and ends it without writing a byte (aws-lambda-nodejs-runtime-interface-
// client#97): AWS's Node.js client then posts an empty streamed body, with no prelude.
export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 204 });
  stream.end();
});
