"""Benchmark handlers for bedrock-stream's runtime (the Node and uvicorn peers' workloads)."""

from __future__ import annotations

import time

from bedrock_stream import streaming_handler

TOKEN = b"0123456789abcdef"  # 16 bytes
BLOCK = b"z" * 65536


@streaming_handler(http=False, content_type="application/octet-stream")
def handler(event, context):
    kind = event["kind"]
    if kind == "burst":
        for _ in range(event.get("n", 100_000)):
            yield TOKEN
    elif kind == "large":
        for _ in range(200 * 1024 * 1024 // len(BLOCK)):
            yield BLOCK
    elif kind == "latency":
        for _ in range(event.get("n", 200)):
            time.sleep(0.01)
            yield b"T%019d...........\n" % time.monotonic_ns()
