"""``python -m bedrock_stream.local.bedrock``: run the Bedrock emulator until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from .server import BedrockEmulator


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C; print the endpoint URL on the first line."""
    parser = argparse.ArgumentParser(prog="python -m bedrock_stream.local.bedrock")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--speed", type=float, default=1.0, help="time scale; 0 = no delay")
    parser.add_argument(
        "--fault", action="append", default=[], help="a fault spec for every request"
    )
    args = parser.parse_args(argv)
    emulator = BedrockEmulator(args.host, args.port, speed=args.speed)
    for spec in args.fault:
        emulator.faults.add(spec, times=None)
    with emulator:
        print(emulator.url, flush=True)
        print(f"export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={emulator.url}", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
