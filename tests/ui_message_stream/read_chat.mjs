// Reads UI message streams with the `ai` package's own Chat machinery.
// CASES.json: a JSON file of cases [{"stream": "<our SSE bytes as text>", "messages": [...]?}].
// For each case an AbstractChat over DefaultChatTransport (whose custom fetch returns the bytes)
// sends one user message; prints one JSON line per case: the body the transport sent, the
// chat's status, its error (if any), onError's message, onFinish's finishReason and isError,
// and the last message.
// node read_chat.mjs AI_PACKAGE_DIR CASES.json
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [aiDir, casesFile] = process.argv.slice(2);
const { AbstractChat, DefaultChatTransport } = await import(
  pathToFileURL(join(aiDir, "dist", "index.js")).href
);

class State {
  constructor(messages) {
    this.status = "ready";
    this.error = undefined;
    this.messages = messages;
  }
  pushMessage(m) { this.messages = this.messages.concat([m]); }
  popMessage() { this.messages = this.messages.slice(0, -1); }
  replaceMessage(i, m) { this.messages = [...this.messages.slice(0, i), m, ...this.messages.slice(i + 1)]; }
  snapshot(thing) { return structuredClone(thing); }
}

class Chat extends AbstractChat {
  constructor({ messages = [], ...init }) {
    super({ ...init, state: new State(messages) });
  }
}

async function run(item) {
  let sent;
  let onError = null;
  let finish = null;
  const transport = new DefaultChatTransport({
    api: "http://localhost/chat",
    body: item.body,
    fetch: async (url, init) => {
      sent = JSON.parse(init.body);
      return new Response(item.stream, {
        status: item.status ?? 200,
        headers: item.headers ?? { "content-type": "text/event-stream" },
      });
    },
  });
  const chat = new Chat({ id: "chat-1", messages: item.messages ?? [], transport, onError: (e) => { onError = e.message; },
    onFinish: ({ finishReason, isError }) => { finish = { finishReason: finishReason ?? null, isError }; },
  });
  await chat.sendMessage(item.files ? { text: item.text ?? "hi", files: item.files } : { text: item.text ?? "hi" });
  const last = chat.messages[chat.messages.length - 1];
  return { sent, status: chat.status, error: chat.error ? chat.error.message : null, onError, finish, message: last };
}

const cases = JSON.parse(readFileSync(casesFile, "utf8"));
for (const item of cases) {
  process.stdout.write(JSON.stringify(await run(item)) + "\n");
}
