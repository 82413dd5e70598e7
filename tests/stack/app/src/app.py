"""End-to-end test handler: ``{"action": ..., ...}`` picks what the function does.

* ``ask``: stream the answer to ``message`` from Bedrock (the emulator, locally).
* ``gate``: yield ``first``, wait until the file ``release`` exists, yield ``last``;
  writes the file ``yielded`` after the first chunk and ``finished`` at the end.
* ``count``: yield ``n`` numbered lines tagged with ``tag`` (for concurrency checks).
* ``pace``: yield ``n`` lines, one every ``interval`` seconds (background load).
* ``sleep``: yield ``started``, then sleep past any timeout.
* ``crash``: yield ``started``, then end the process.
* ``fail``: yield ``started``, then raise.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bedrock_stream import streaming_handler
from bedrock_stream.bedrock import stream_text

MODEL_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


@streaming_handler(content_type="text/plain; charset=utf-8")
def handler(event: dict[str, Any], context: Any) -> Iterator[str]:
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
