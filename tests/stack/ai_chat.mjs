// The AI SDK's own chat client against a chat route: a Chat (AbstractChat with a plain
// state, what useChat wraps) over DefaultChatTransport, which parses the server-sent events
// and validates every chunk against the UI message stream's schema.
//
// node ai_chat.mjs AI_PACKAGE_DIR < conversation.json
// conversation.json: {"api": URL, "headers": {...}, "turns": ["first message", ...]}
// Prints one JSON document: after each turn, the chat's status, error and messages.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [packageDir] = process.argv.slice(2);
const { AbstractChat, DefaultChatTransport } = await import(
  pathToFileURL(join(packageDir, "dist", "index.js")).href
);

// The smallest ChatState: what @ai-sdk/react keeps in React state, kept in plain fields.
class PlainState {
  constructor() {
    this.status = "ready";
    this.error = undefined;
    this.messages = [];
  }
  pushMessage(message) {
    this.messages = [...this.messages, message];
  }
  popMessage() {
    this.messages = this.messages.slice(0, -1);
  }
  replaceMessage(index, message) {
    this.messages = [...this.messages.slice(0, index), message, ...this.messages.slice(index + 1)];
  }
  snapshot(thing) {
    return structuredClone(thing);
  }
}

class Chat extends AbstractChat {
  constructor(init) {
    super({ ...init, state: new PlainState() });
  }
}

const { api, headers, turns } = JSON.parse(readFileSync(0, "utf8"));
const errors = [];
const chat = new Chat({
  transport: new DefaultChatTransport({ api, headers }),
  onError: (error) => errors.push(String(error?.message ?? error)),
});
const results = [];
for (const text of turns) {
  await chat.sendMessage({ text });
  results.push({
    status: chat.status,
    error: chat.error ? String(chat.error.message ?? chat.error) : null,
    messages: chat.messages,
  });
}
process.stdout.write(JSON.stringify({ results, errors }));
