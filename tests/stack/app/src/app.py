"""End-to-end test handler: ``{"action": ..., ...}`` picks what the function does.

* ``ask``: stream the answer to ``message`` from Bedrock (the emulator, locally).
* ``gate``: yield ``first``, wait until the file ``release`` exists, yield ``last``;
  writes the file ``yielded`` after the first chunk and ``finished`` at the end.
* ``count``: yield ``n`` numbered lines tagged with ``tag`` (for concurrency checks).
* ``pace``: yield ``n`` lines, one every ``interval`` seconds (background load).
* ``sleep``: yield ``started``, then sleep past any timeout.
* ``crash``: yield ``started``, then end the process.
* ``fail``: yield ``started``, then raise.

Actions for hostile-input tests are chosen by the query string instead (``?action=...``),
so that the body may be anything, even bytes that are not UTF-8:

* ``echo``: answer the event's ``body``, ``isBase64Encoded`` and header ``x-name`` as a
  JSON object.
* ``raw``: bypass every check and write the bytes of ``data`` (URL-safe base64) through
  the response sink as the whole stream, with the HTTP integration content type (a
  crafted prelude, then any body); without a sink (buffered), return ``data`` decoded
  as JSON as the function's result.
* ``flood``: stream ``mb`` MiB of ``x`` in 64 KiB chunks, then write the file
  ``finished`` in ``dir``.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bedrock_stream import streaming_handler
from bedrock_stream.bedrock import stream_text
from bedrock_stream.http_integration import CONTENT_TYPE
from bedrock_stream.sink import current_sink

MODEL_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def handler(event: dict[str, Any], context: Any) -> Any:
    query = (event.get("queryStringParameters") if isinstance(event, dict) else None) or {}
    action = query.get("action")
    if action == "raw":
        data = base64.urlsafe_b64decode(query["data"])
        sink = current_sink()
        if sink is None:
            return json.loads(data)
        sink.start(CONTENT_TYPE)
        sink.write(data)
        return None
    if action == "echo":
        return _echo(event, context)
    if action == "flood":
        return _flood(event, context)
    return _actions(event, context)


@streaming_handler(content_type="application/json")
def _echo(event: dict[str, Any], context: Any) -> Iterator[str]:
    name = (event.get("headers") or {}).get("x-name")
    yield json.dumps(
        {"body": event.get("body"), "isBase64Encoded": event["isBase64Encoded"], "name": name}
    )


@streaming_handler(content_type="application/octet-stream")
def _flood(event: dict[str, Any], context: Any) -> Iterator[bytes]:
    query = event["queryStringParameters"]
    chunk = b"x" * 65536
    for _ in range(int(query["mb"]) * 16):
        yield chunk
    (Path(query["dir"]) / "finished").touch()


@streaming_handler(content_type="text/plain; charset=utf-8")
def _actions(event: dict[str, Any], context: Any) -> Iterator[str]:
    body = event.get("body") or "{}"
    request = json.loads(body) if isinstance(body, str) else body
    action = request.get("action", "ask")
    if action == "ask":
        yield from stream_text(
            request["message"],
            model_id=request.get("model_id", MODEL_ID),
            api=request.get("api", "converse"),
            max_tokens=int(request.get("max_tokens", 200)),
        )
    elif action == "gate":
        where = Path(request["dir"])
        yield "first\n"
        (where / "yielded").touch()
        while not (where / "release").exists():
            time.sleep(0.01)
        yield "last\n"
        (where / "finished").touch()
    elif action == "count":
        for n in range(int(request["n"])):
            yield f"{request['tag']}:{n}\n"
    elif action == "pace":
        for n in range(int(request["n"])):
            time.sleep(float(request["interval"]))
            yield f"{n}\n"
    elif action == "sleep":
        yield "started\n"
        time.sleep(3600)
    elif action == "crash":
        yield "started\n"
        os._exit(3)
    elif action == "fail":
        yield "started\n"
        raise ValueError("the handler failed mid-stream")
