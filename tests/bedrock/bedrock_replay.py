"""Recorded Bedrock responses and a loopback server that replays them to a real boto3 client."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bedrock_transports import make_client

RECORDINGS = Path(__file__).parent.parent / "data" / "bedrock-recordings"


def load_recording(name: str) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads((RECORDINGS / name).read_text())
    return fixture


def recordings(*operations: str) -> list[str]:
    index = json.loads((RECORDINGS / "index.json").read_text())
    return sorted(entry["file"] for entry in index if entry["operation"] in operations)


@dataclass
class Reply:
    """One response: status, body, and optionally a slow tail that never ends."""

    body: bytes
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    endless_tail: bytes | None = None  # repeated forever after body, until the client leaves
    hang_up: bool = False  # close the kept-alive connection after the reply, without a word


def reply_for(fixture: dict[str, Any]) -> Reply:
    body = base64.b64decode(fixture["body_base64"])
    ctype = "application/vnd.amazon.eventstream" if fixture["frames"] else "application/json"
    headers = {"Content-Type": ctype, "X-Amzn-Bedrock-Content-Type": "application/json"}
    if fixture["http_status"] != 200:
        error = fixture["expected_error"]
        headers["x-amzn-ErrorType"] = error["x-amzn-ErrorType"]
    for name, value in (fixture.get("response_headers") or {}).items():
        if name.lower().startswith("x-amzn-bedrock-") and isinstance(value, str):
            headers[name] = value
    return Reply(body, fixture["http_status"], headers)


class Server:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.connections = 0  # accepted
        self.client_left = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                owner.connections += 1
                super().setup()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                owner.requests.append((self.path, json.loads(self.rfile.read(length) or b"{}")))
                reply = owner.replies.pop(0)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.endless_tail is None:
                    self.send_header("Content-Length", str(len(reply.body)))
                else:
                    self.send_header("Content-Length", str(1 << 40))
                self.end_headers()
                self.wfile.write(reply.body)
                self.wfile.flush()
                self.close_connection = reply.hang_up
                if reply.endless_tail is not None:
                    try:
                        deadline = time.monotonic() + 10
                        while time.monotonic() < deadline:
                            self.wfile.write(reply.endless_tail)
                            self.wfile.flush()
                            time.sleep(0.005)
                    except OSError:
                        owner.client_left.set()
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def chunk_frame(chunk: Any) -> bytes:
    """An InvokeModelWithResponseStream chunk event carrying ``chunk`` (JSON, or raw bytes)."""
    from bedrock_stream.bedrock.eventstream import encode_message

    raw = chunk if isinstance(chunk, bytes) else json.dumps(chunk).encode()
    payload = json.dumps({"bytes": base64.b64encode(raw).decode()}).encode()
    headers = {
        ":event-type": "chunk",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, payload)


def converse_frame(event_type: str, payload: dict[str, Any]) -> bytes:
    """A ConverseStream event."""
    from bedrock_stream.bedrock.eventstream import encode_message

    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, json.dumps(payload).encode())


def exception_frame(code: str, message: str = "boom") -> bytes:
    """An in-stream exception, as Bedrock sends it."""
    from bedrock_stream.bedrock.eventstream import encode_message

    headers = {
        ":exception-type": code,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, json.dumps({"message": message}).encode())


LLAMA = "meta.llama3-8b-instruct-v1:0"


def llama(text: str, stop: str | None = None) -> bytes:
    """A Llama chunk frame of ``text``; with ``stop``, the last one, with its metrics."""
    chunk: dict[str, Any] = {"generation": text, "stop_reason": stop}
    if stop:
        chunk["amazon-bedrock-invocationMetrics"] = {
            "inputTokenCount": 3,
            "outputTokenCount": 2,
            "firstByteLatency": 10,
            "invocationLatency": 20,
        }
    return chunk_frame(chunk)


def stream_reply(*frames: bytes, endless_tail: bytes | None = None) -> Reply:
    headers = {"Content-Type": "application/vnd.amazon.eventstream"}
    return Reply(b"".join(frames), 200, headers, endless_tail)


def error_reply(status: int, code: str, message: str = "nope") -> Reply:
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return Reply(json.dumps({"message": message}).encode(), status, headers)


def replay_client(url: str, transport: str = "boto3") -> Any:
    """A real bedrock-runtime client of ``transport`` pointed at a replay server, no retries."""
    return make_client(url, transport)
