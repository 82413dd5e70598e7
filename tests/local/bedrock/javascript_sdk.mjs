// The AWS SDK for JavaScript v3's Bedrock client against the emulator: the four operations
// for each case read from stdin, what it got printed as one JSON document.
//
// node javascript_sdk.mjs ENDPOINT default|http1 < cases.json
// cases.json: [{"modelId": ..., "invokeBody": "...JSON text..."}, ...]
// "default" is the client as the SDK builds it (an HTTP/2 handler); "http1" forces
// @smithy/node-http-handler's NodeHttpHandler. ENDPOINT "-" gives the client none, so that
// it reads AWS_ENDPOINT_URL_BEDROCK_RUNTIME. Packages resolve through NODE_PATH.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} = require("@aws-sdk/client-bedrock-runtime");
const { NodeHttpHandler } = require("@smithy/node-http-handler");

const [endpoint, handler] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(0, "utf8"));
const client = new BedrockRuntimeClient({
  ...(endpoint === "-" ? {} : { endpoint }),
  region: "us-east-1",
  credentials: { accessKeyId: "x", secretAccessKey: "x" },
  maxAttempts: 1,
  ...(handler === "http1" ? { requestHandler: new NodeHttpHandler() } : {}),
});
const decoder = new TextDecoder();
const messages = (prompt) => [{ role: "user", content: [{ text: prompt }] }];

async function attempt(operation) {
  try {
    return await operation();
  } catch (error) {
    return { error: error.name, message: error.message };
  }
}

const results = [];
for (const { modelId, invokeBody, prompt } of cases) {
  const result = { modelId };
  result.invoke = await attempt(async () => {
    const response = await client.send(
      new InvokeModelCommand({ modelId, body: invokeBody, contentType: "application/json" }),
    );
    return { contentType: response.contentType, body: JSON.parse(decoder.decode(response.body)) };
  });
  result.invokeStream = await attempt(async () => {
    const response = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId, body: invokeBody }),
    );
    const chunks = [];
    for await (const event of response.body) {
      chunks.push(JSON.parse(decoder.decode(event.chunk.bytes)));
    }
    return { chunks };
  });
  const inferenceConfig = { maxTokens: 1000 };
  result.converse = await attempt(async () => {
    const response = await client.send(
      new ConverseCommand({ modelId, messages: messages(prompt), inferenceConfig }),
    );
    return { output: response.output, stopReason: response.stopReason, usage: response.usage };
  });
  result.converseStream = await attempt(async () => {
    const response = await client.send(
      new ConverseStreamCommand({ modelId, messages: messages(prompt), inferenceConfig }),
    );
    const events = [];
    for await (const event of response.stream) {
      events.push(event);
    }
    return { events };
  });
  results.push(result);
}
client.destroy();
process.stdout.write(JSON.stringify(results));
