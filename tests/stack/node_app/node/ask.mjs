// The AWS sample's way: the JavaScript SDK's InvokeModelWithResponseStreamCommand, each
// chunk's text relayed to the response stream as it arrives. The client finds the local
// Bedrock through AWS_ENDPOINT_URL_BEDROCK_RUNTIME, which the stack sets.
import {
  BedrockRuntimeClient,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";

// The SDK's default client, as the sample has it: HTTP/2 with prior knowledge to the
// emulator's http:// endpoint.
const client = new BedrockRuntimeClient({});
const decoder = new TextDecoder();

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const { message } = JSON.parse(event.body);
  const response = await client.send(
    new InvokeModelWithResponseStreamCommand({
      modelId: "us.anthropic.claude-3-5-haiku-20241022-v1:0",
      contentType: "application/json",
      accept: "application/json",
      body: JSON.stringify({
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 300,
        messages: [{ role: "user", content: [{ type: "text", text: message }] }],
      }),
    }),
  );
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
  for await (const item of response.body) {
    if (!item.chunk) continue;
    const data = JSON.parse(decoder.decode(item.chunk.bytes));
    if (data.type === "content_block_delta" && data.delta.type === "text_delta") {
      stream.write(data.delta.text);
    }
  }
  stream.end();
});
