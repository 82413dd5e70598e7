"""``python -m bedrock_stream.local.bedrock``: run the Bedrock emulator until signalled."""

from __future__ import annotations

import argparse
import sys

from ..signals import catch_stop_signals, report_stopping, wait_for_stop
from .server import BedrockEmulator


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C, SIGTERM or SIGHUP; print the endpoint URL on the first line."""
    parser = argparse.ArgumentParser(prog="python -m bedrock_stream.local.bedrock")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--speed", type=float, default=1.0, help="time scale; 0 = no delay")
    parser.add_argument(
        "--fault", action="append", default=[], help="a fault spec for every request"
    )
    parser.add_argument(
        "--https", action="store_true", help="serve HTTPS (HTTP/2 by ALPN), for Bedrock API keys"
    )
    parser.add_argument(
        "--api-key", action="append", help="a Bedrock API key to accept (default: any)"
    )
    args = parser.parse_args(argv)
    emulator = BedrockEmulator(
        args.host, args.port, speed=args.speed, https=args.https, api_keys=args.api_key
    )
    for spec in args.fault:
        emulator.faults.add(spec, times=None)
    received = catch_stop_signals()  # even as a background job, started with SIGINT ignored
    with emulator:
        print(emulator.url, flush=True)
        for name, value in emulator.env().items():
            print(f"export {name}={value}", file=sys.stderr)
        try:
            wait_for_stop(received)
        finally:
            report_stopping()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
