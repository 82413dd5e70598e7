// The comparison page: one prompt to the streaming and the buffered API at the same time.
// No framework, no build step, no network resource: only the two APIs and config.json.
// Text from the network only ever reaches the page through textContent / append().
"use strict";

const PANES = ["streaming", "buffered"];
const $ = (id) => document.getElementById(id);

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
  for (const name of PANES) {
    if (typeof urls[name] === "string") $(`${name}-url`).value = urls[name];
  }
  $("config-source").textContent = source;
  $("send").disabled = false;
}

function setState(name, state, status) {
  $(`${name}-pane`).dataset.state = state;
  $(`${name}-text`).setAttribute("aria-busy", String(state === "waiting" || state === "receiving"));
  $(`${name}-status`).textContent = status;
}

function reset(name) {
  $(`${name}-text`).textContent = "";
  $(`${name}-ttfb`).textContent = "–";
  $(`${name}-total`).textContent = "–";
  $(`${name}-bytes`).textContent = "–";
}

function validUrl(value) {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch (_) {
    return false;
  }
}

// Send the prompt to one API and show its answer in its pane as the bytes arrive.
// Resolves when the pane reaches an end state: done, error (an HTTP error) or failed.
async function run(name, url, message, apiKey) {
  reset(name);
  if (!validUrl(url)) {
    setState(name, "error", "No valid http(s) URL for this API: enter it above.");
    return;
  }
  setState(name, "waiting", "Waiting for the first byte…");
  const started = performance.now();
  const total = () => {
    $(`${name}-total`).textContent = ms(performance.now() - started);
  };

  const headers = { "Content-Type": "application/json" };
  if (apiKey) headers["x-api-key"] = apiKey;
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ message }),
      cache: "no-store",
    });
  } catch (error) {
    total();
    setState(name, "failed", `Request failed (network error or CORS): ${error.message}`);
    return;
  }

  const textNode = $(`${name}-text`);
  const decoder = new TextDecoder();
  const chunks = [];
  let received = 0;
  const take = (value) => {
    if (received === 0) $(`${name}-ttfb`).textContent = ms(performance.now() - started);
    received += value.byteLength;
    $(`${name}-bytes`).textContent = bytes(received);
  };

  if (response.ok) setState(name, "receiving", `${statusLine(response)}: receiving…`);
  try {
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value.byteLength === 0) continue;
        take(value);
        if (response.ok) {
          const text = decoder.decode(value, { stream: true });
          if (text) textNode.append(text);
        } else {
          chunks.push(value);
        }
      }
    }
  } catch (error) {
    // The connection ended before the body did: for a stream, the API's way of saying that
    // the answer failed after its first byte. What arrived stays visible, marked incomplete.
    total();
    setState(name, "failed", `${statusLine(response)}: stream interrupted, the answer is incomplete`);
    return;
  }
  total();
  if (received === 0) $(`${name}-bytes`).textContent = bytes(0);

  if (response.ok) {
    const rest = decoder.decode();
    if (rest) textNode.append(rest);
    setState(name, "done", `${statusLine(response)}: complete`);
    return;
  }
  setState(name, "error", `${statusLine(response)}: ${errorMessage(chunks)}`);
}

// API errors are JSON {"message": ...}; anything else is shown as (short) text.
function errorMessage(chunks) {
  const body = new TextDecoder().decode(concat(chunks));
  try {
    const parsed = JSON.parse(body);
    if (parsed && typeof parsed.message === "string") return parsed.message;
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

async function send(event) {
  event.preventDefault();
  const button = $("send");
  button.disabled = true;
  const message = $("prompt").value;
  const apiKey = $("api-key").value.trim();
  try {
    // Both requests leave in the same task, so neither waits for the other.
    const url = (name) => $(`${name}-url`).value.trim();
    await Promise.allSettled(PANES.map((name) => run(name, url(name), message, apiKey)));
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("ask").addEventListener("submit", send);
  loadConfig();
});
