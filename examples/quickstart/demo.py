"""Run the quick-start handler twice, the way Lambda would, and show what a client gets.

1. Streaming: a sink is attached, as bedrock-stream's runtime does in Lambda. Each write
   is shown with the time it arrived: the prelude and first word go out together, and
   every later word as soon as it is produced.
2. Buffered: no sink, as under the standard Python runtime behind a BUFFERED API. The
   same handler returns one API Gateway proxy response once everything is done.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from app import handler

from bedrock_stream.http_integration import DELIMITER
from bedrock_stream.sink import attach_sink, detach_sink
from bedrock_stream.testing import LambdaContextStub

EVENT = {"httpMethod": "POST", "path": "/ask", "requestContext": {"stage": "Prod"}, "body": "{}"}


class PrintingSink:
    """Print every write with its arrival time, the way a client would receive it."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def start(self, content_type: str) -> None:
        print(f"  {self.elapsed():7.1f} ms  response started, content type {content_type}")

    def write(self, *chunks: bytes) -> None:
        for chunk in chunks:
            if chunk.endswith(DELIMITER) and chunk.startswith(b"{"):
                metadata = json.loads(chunk[: -len(DELIMITER)])
                print(f"  {self.elapsed():7.1f} ms  prelude {json.dumps(metadata)} + 8 NUL bytes")
            else:
                print(f"  {self.elapsed():7.1f} ms  chunk   {chunk.decode()!r}")

    def elapsed(self) -> float:
        return (time.perf_counter() - self.started) * 1000


def main() -> None:
    print("streaming (a sink attached, as the bedrock-stream runtime does):")
    token = attach_sink(PrintingSink())
    try:
        handler(EVENT, LambdaContextStub())
    finally:
        detach_sink(token)

    print("\nbuffered (no sink, as the standard Python runtime):")
    started = time.perf_counter()
    response = handler(EVENT, LambdaContextStub())
    elapsed = (time.perf_counter() - started) * 1000
    print(f"  {elapsed:7.1f} ms  whole response at once:")
    print("  " + json.dumps(response, indent=2).replace("\n", "\n  "))


if __name__ == "__main__":
    main()
