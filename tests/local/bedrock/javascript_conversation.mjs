// The AWS SDK for JavaScript v3's default client (HTTP/2) sends raw ConverseStream requests
// to the emulator and prints the events it parsed, one JSON document for all requests.
//
// node javascript_conversation.mjs ENDPOINT < requests.json
// requests.json: [{ConverseStream input}, ...]. Packages resolve through NODE_PATH.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const { BedrockRuntimeClient, ConverseStreamCommand } = require("@aws-sdk/client-bedrock-runtime");

const [endpoint] = process.argv.slice(2);
const client = new BedrockRuntimeClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "x", secretAccessKey: "x" },
  maxAttempts: 1,
});
const results = [];
for (const request of JSON.parse(readFileSync(0, "utf8"))) {
  const events = [];
  try {
    const response = await client.send(new ConverseStreamCommand(request));
    for await (const event of response.stream) events.push(event);
  } catch (error) {
    events.push({ error: error.name, message: error.message });
  }
  results.push(events);
}
console.log(JSON.stringify(results));
