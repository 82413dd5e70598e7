// The chat page: each message to the streaming and the buffered API at the same time.
// It reads the AI SDK's UI message stream (server-sent events of JSON chunks) itself:
// no framework, no build step, no network resource but the two APIs and config.json.
// Text from the network only ever reaches the page through textContent / append().
"use strict";

const APIS = ["streaming", "buffered"];
const COLORS = { streaming: "#0b5cad", buffered: "#d4620a" };
const $ = (id) => document.getElementById(id);

// Each API keeps its own conversation: the UI messages of the turns it answered whole.
const conversations = { streaming: [], buffered: [] };
let counter = 0;
let chatId = newId("chat");
let controller = null;

function newId(prefix) {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

function ms(value) {
  return `${Math.round(value)} ms`;
}

function bytes(count) {
  return `${count.toLocaleString("en")} ${count === 1 ? "byte" : "bytes"}`;
}

function statusLine(response) {
  return response.statusText ? `${response.status} ${response.statusText}` : `${response.status}`;
}

// The URLs: config.json beside the page (bedrock-stream local serves it), else the query
// string (?streaming=...&buffered=...). Either way they prefill inputs that stay editable.
// The API key comes from config.json only: a key never belongs in a URL.
async function loadConfig() {
  let urls = null;
  let source = "";
  try {
    // A page opened from a file has no origin to ask: go straight to the query string.
    const response = window.location.protocol === "file:"
      ? null
      : await fetch("config.json", { cache: "no-store" });
    if (response && response.ok) {
      const config = await response.json();
      if (config && (typeof config.streaming === "string" || typeof config.buffered === "string")) {
        urls = config;
        source = "URLs from config.json (the local stack).";
        if (typeof config.apiKey === "string") {
          $("api-key").value = config.apiKey;
          source = "URLs and API key from config.json (the local stack).";
        }
      }
    }
  } catch (_) {
    // No config.json (a static host, or the page opened from a file): use the query string.
  }
  if (urls === null) {
    const query = new URLSearchParams(window.location.search);
    urls = { streaming: query.get("streaming"), buffered: query.get("buffered") };
    source = urls.streaming || urls.buffered
      ? "URLs from the query string."
      : "Enter both URLs: the stack outputs StreamingApiUrl and NonStreamingApiUrl.";
  }
  for (const name of APIS) {
    if (typeof urls[name] === "string") $(`${name}-url`).value = urls[name];
  }
  $("config-source").textContent = source;
  $("send").disabled = false;
}

// The chat route of an API, from its /ask URL, its /chat URL or its stage URL.
function chatUrl(value) {
  let url;
  try {
    url = new URL(value);
  } catch (_) {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.pathname = `${url.pathname.replace(/\/(ask|chat)?\/?$/, "")}/chat`;
  return url.href;
}

// The chart of one turn: characters received over time, one line per API.
class Timeline {
  constructor(canvas) {
    this.canvas = canvas;
    this.series = { streaming: [[0, 0]], buffered: [[0, 0]] };
    this.pending = false;
  }

  add(name, time, chars) {
    this.series[name].push([time, chars]);
    this.canvas.dataset[`${name}Points`] = String(this.series[name].length - 1);
    this.canvas.dataset[`${name}Chars`] = String(chars);
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => this.draw());
    }
  }

  draw() {
    this.pending = false;
    const { canvas } = this;
    const context = canvas.getContext("2d");
    const width = canvas.width;
    const height = canvas.height;
    const left = 48;
    const bottom = height - 22;
    const all = [...this.series.streaming, ...this.series.buffered];
    const maxTime = Math.max(1000, ...all.map(([t]) => t));
    const maxChars = Math.max(10, ...all.map(([, c]) => c));
    const x = (t) => left + ((width - left - 8) * t) / maxTime;
    const y = (c) => bottom - ((bottom - 8) * c) / maxChars;
    const style = getComputedStyle(canvas);
    context.clearRect(0, 0, width, height);
    context.strokeStyle = style.getPropertyValue("--border") || "#d0d7de";
    context.fillStyle = style.getPropertyValue("--muted") || "#57606a";
    context.font = "11px system-ui, sans-serif";
    context.beginPath();
    context.moveTo(left, 8);
    context.lineTo(left, bottom);
    context.lineTo(width - 8, bottom);
    context.stroke();
    context.fillText(`${maxChars} chars`, 2, 14);
    context.fillText("0", left - 12, bottom);
    context.fillText(ms(maxTime), width - 60, height - 6);
    for (const name of APIS) {
      context.strokeStyle = COLORS[name];
      context.lineWidth = 2;
      context.beginPath();
      let previous = 0;
      for (const [index, [time, chars]] of this.series[name].entries()) {
        if (index === 0) context.moveTo(x(time), y(chars));
        else {
          context.lineTo(x(time), y(previous)); // a step: nothing arrived in between
          context.lineTo(x(time), y(chars));
        }
        previous = chars;
      }
      context.stroke();
    }
  }
}

// One API's answer to one turn: its state, metrics and parts as the chunks arrive.
class Pane {
  constructor(section, timeline, name) {
    this.section = section;
    this.timeline = timeline;
    this.name = name;
    this.answer = section.querySelector(".answer");
    this.parts = new Map();
    this.chars = 0;
    this.text = [];
    this.started = performance.now();
    this.received = 0;
    this.done = false;
    this.errorText = null;
  }

  field(name) {
    return this.section.querySelector(`.${name}`);
  }

  setState(state, status) {
    this.section.dataset.state = state;
    this.answer.setAttribute("aria-busy", String(state === "waiting" || state === "receiving"));
    this.field("status").textContent = status;
  }

  elapsed() {
    return performance.now() - this.started;
  }

  total() {
    this.field("total").textContent = ms(this.elapsed());
  }

  took(chunk) {
    if (this.received === 0) this.field("ttfb").textContent = ms(this.elapsed());
    this.received += chunk.byteLength;
    this.field("bytes").textContent = bytes(this.received);
  }

  grow(count) {
    this.chars += count;
    this.timeline.add(this.name, this.elapsed(), this.chars);
  }

  part(id, make) {
    let found = this.parts.get(id);
    if (!found) {
      found = make();
      this.parts.set(id, found);
      this.answer.append(found.root);
    }
    return found;
  }

  textPart(id) {
    return this.part(`text:${id}`, () => {
      const root = document.createElement("div");
      root.className = "text";
      return { root, body: root };
    });
  }

  reasoningPart(id) {
    return this.part(`reasoning:${id}`, () => {
      const root = document.createElement("details");
      root.className = "reasoning";
      root.open = true;
      const summary = document.createElement("summary");
      summary.textContent = "Reasoning";
      const body = document.createElement("div");
      body.className = "reasoning-text";
      root.append(summary, body);
      return { root, body };
    });
  }

  toolPart(id, toolName) {
    return this.part(`tool:${id}`, () => {
      const root = document.createElement("div");
      root.className = "tool";
      root.dataset.state = "input-streaming";
      const title = document.createElement("div");
      title.className = "tool-name";
      title.textContent = `Tool call: ${toolName || "tool"}`;
      const input = document.createElement("pre");
      input.className = "tool-input";
      const output = document.createElement("pre");
      output.className = "tool-output";
      root.append(title, input, output);
      return { root, input, output };
    });
  }

  // One chunk of the UI message stream; unknown types are skipped, as the protocol allows.
  chunk(chunk) {
    switch (chunk.type) {
      case "text-delta": {
        this.textPart(chunk.id).body.append(chunk.delta);
        this.text.push(chunk.delta);
        this.grow(chunk.delta.length);
        break;
      }
      case "text-start":
        this.textPart(chunk.id);
        if (this.text.length) this.text.push("\n\n"); // text parts stay apart in the history
        break;
      case "reasoning-start":
        this.reasoningPart(chunk.id);
        break;
      case "reasoning-delta":
        this.reasoningPart(chunk.id).body.append(chunk.delta);
        this.grow(chunk.delta.length);
        break;
      case "tool-input-start":
        this.toolPart(chunk.toolCallId, chunk.toolName);
        break;
      case "tool-input-delta":
        this.toolPart(chunk.toolCallId).input.append(chunk.inputTextDelta);
        break;
      case "tool-input-available": {
        const tool = this.toolPart(chunk.toolCallId, chunk.toolName);
        tool.input.textContent = JSON.stringify(chunk.input);
        tool.root.dataset.state = "input-available";
        break;
      }
      case "tool-output-available": {
        const tool = this.toolPart(chunk.toolCallId);
        const output = chunk.output;
        tool.output.textContent = typeof output === "string" ? output : JSON.stringify(output);
        tool.root.dataset.state = "output-available";
        break;
      }
      case "tool-output-error": {
        const tool = this.toolPart(chunk.toolCallId);
        tool.output.textContent = chunk.errorText;
        tool.root.dataset.state = "output-error";
        break;
      }
      case "error":
        this.errorText = chunk.errorText;
        break;
      default:
        break;
    }
  }

  // Server-sent events: "data: <json>" lines, events apart by a blank line; [DONE] ends.
  events(buffer) {
    const events = buffer.split(/\r?\n\r?\n/);
    const rest = events.pop();
    for (const event of events) {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data === "[DONE]") this.done = true;
      else if (data) this.chunk(JSON.parse(data));
    }
    return rest;
  }
}

// Send the conversation to one API and show its answer as the bytes arrive. Resolves
// with the answer's text when the pane ends complete, else with null.
async function run(pane, url, messages, apiKey, signal) {
  if (url === null) {
    pane.setState("error", "No valid http(s) URL for this API: enter it above.");
    return null;
  }
  pane.setState("waiting", "Waiting for the first byte…");
  const headers = { "Content-Type": "application/json" };
  if (apiKey) headers["x-api-key"] = apiKey;
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ id: chatId, messages, trigger: "submit-message" }),
      cache: "no-store",
      signal,
    });
  } catch (error) {
    pane.total();
    if (signal.aborted) pane.setState("stopped", "Stopped before the first byte");
    else pane.setState("failed", `Request failed (network error or CORS): ${error.message}`);
    return null;
  }

  const decoder = new TextDecoder();
  const chunks = [];
  let buffer = "";
  let cut = false;
  if (response.ok) pane.setState("receiving", `${statusLine(response)}: receiving…`);
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value.byteLength === 0) continue;
        pane.took(value);
        if (response.ok) buffer = pane.events(buffer + decoder.decode(value, { stream: true }));
        else chunks.push(value);
      }
    }
  } catch (_) {
    // The connection ended before the body did: for a stream, the API's way of saying that
    // the answer failed after its first byte. What arrived stays visible, marked incomplete.
    cut = true;
  }
  pane.total();
  if (pane.received === 0) pane.field("bytes").textContent = bytes(0);

  if (!response.ok) {
    pane.setState("error", `${statusLine(response)}: ${errorMessage(chunks)}`);
    return null;
  }
  if (!cut) {
    try {
      pane.events(`${buffer}${decoder.decode()}\n\n`);
    } catch {
      cut = true; // a malformed last frame: the answer is incomplete, never "receiving"
    }
  }
  if (pane.errorText !== null) {
    pane.setState("failed", `${statusLine(response)}: ${pane.errorText} (the answer is incomplete)`);
  } else if (signal.aborted) {
    pane.setState("stopped", `${statusLine(response)}: stopped, the answer is incomplete`);
  } else if (cut || !pane.done) {
    pane.setState("failed", `${statusLine(response)}: stream interrupted, the answer is incomplete`);
  } else {
    pane.setState("done", `${statusLine(response)}: complete`);
    return pane.text.join("");
  }
  return null;
}

// API errors are JSON: {"message": ...}, {"error": {"message": ...}} or {"errorText": ...};
// anything else is shown as (short) text.
function errorMessage(chunks) {
  const body = new TextDecoder().decode(concat(chunks));
  try {
    const parsed = JSON.parse(body);
    const found = [parsed?.message, parsed?.error?.message, parsed?.error, parsed?.errorText];
    const message = found.find((value) => typeof value === "string");
    if (message) return message;
  } catch (_) {
    // not JSON
  }
  const text = body.trim();
  return text ? text.slice(0, 300) : "(no message)";
}

function concat(chunks) {
  const all = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}

function newTurn(message) {
  const turn = $("turn-template").content.firstElementChild.cloneNode(true);
  turn.querySelector(".user").textContent = message;
  $("turns").append(turn);
  const timeline = new Timeline(turn.querySelector("canvas"));
  timeline.draw();
  return { turn, timeline };
}

async function send(event) {
  event.preventDefault();
  $("send").disabled = true;
  $("stop").disabled = false;
  $("stop-note").hidden = true;
  const message = $("prompt").value;
  const apiKey = $("api-key").value.trim();
  const user = { id: newId("user"), role: "user", parts: [{ type: "text", text: message }] };
  const { turn, timeline } = newTurn(message);
  controller = new AbortController();
  try {
    // Both requests leave in the same task, so neither waits for the other.
    await Promise.allSettled(APIS.map(async (name) => {
      const pane = new Pane(turn.querySelector(`[data-api=${name}]`), timeline, name);
      const messages = [...conversations[name], user];
      const url = chatUrl($(`${name}-url`).value.trim());
      const text = await run(pane, url, messages, apiKey, controller.signal);
      if (text !== null) {
        // Only a whole turn joins the conversation: its user message and the answer's text.
        const answer = { id: newId("assistant"), role: "assistant", parts: [{ type: "text", text }] };
        conversations[name].push(user, answer);
      }
    }));
  } finally {
    controller = null;
    $("send").disabled = false;
    $("stop").disabled = true;
  }
}

function stop() {
  if (controller === null) return;
  controller.abort();
  $("stop-note").hidden = false;
}

function newChat() {
  if (controller !== null) stop();
  conversations.streaming = [];
  conversations.buffered = [];
  chatId = newId("chat");
  $("turns").replaceChildren();
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask").addEventListener("submit", send);
  $("stop").addEventListener("click", stop);
  $("new-chat").addEventListener("click", newChat);
  loadConfig();
});
