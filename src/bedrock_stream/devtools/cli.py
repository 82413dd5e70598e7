"""``bedrock-stream`` command line.

* ``bedrock-stream local`` runs a SAM template's APIs, function URLs and functions on
  this machine, with a Bedrock emulator (the ``local`` extra).
* ``bedrock-stream compare URL_A URL_B`` times a streaming and a buffered endpoint.
* ``bedrock-stream init-wrapper [DIR]`` writes the exec wrapper (see :mod:`.wrapper`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bedrock_stream.devtools.wrapper import WRAPPER_NAME, write_wrapper

if TYPE_CHECKING:
    from bedrock_stream.local.endpoints import Endpoint
    from bedrock_stream.local.stack import LocalStack

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the ``bedrock-stream`` command; return its exit status."""
    parser = argparse.ArgumentParser(prog="bedrock-stream")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser(
        "init-wrapper",
        help="write the AWS_LAMBDA_EXEC_WRAPPER script into a function's source directory",
    )
    init.add_argument("directory", nargs="?", default=".", help="the function's CodeUri")
    init.add_argument("--then", help="another exec wrapper to chain to, e.g. /opt/otel-instrument")
    init.add_argument("--force", action="store_true", help="replace a different existing file")
    local = commands.add_parser(
        "local", help="run a SAM template's APIs and functions locally, streaming included"
    )
    local.add_argument("--template", "-t", default="template.yaml", help="the SAM template")
    local.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    local.add_argument("--port", "-p", type=int, default=3000, help="the first port to use")
    local.add_argument(
        "--bedrock",
        choices=["local", "aws"],
        default="local",
        help="local: the built-in Bedrock emulator; aws: the real Bedrock, your credentials",
    )
    local.add_argument(
        "--https",
        action="store_true",
        help="serve the Bedrock emulator over HTTPS, as Bedrock API keys need",
    )
    local.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    local.add_argument(
        "--speed", type=float, default=1.0, help="emulated model pace (1: as recorded, 0: instant)"
    )
    local.add_argument("--concurrency", type=int, default=10, help="processes per function")
    local.add_argument(
        "--max-concurrency",
        type=int,
        metavar="N",
        help="run every function as on Lambda Managed Instances: N invocations per environment",
    )
    local.add_argument(
        "--parameter", action="append", default=[], metavar="KEY=VALUE", help="template parameter"
    )
    local.add_argument(
        "--bandwidth", action="store_true", help="shape streams like Lambda and API Gateway"
    )
    local.add_argument(
        "--close-on-disconnect",
        action="store_true",
        help="end a function's stream when its client leaves (AWS runs it to completion)",
    )
    local.add_argument(
        "--web",
        type=Path,
        help="a directory of static files to serve too (default: web/ beside the template)",
    )
    local.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the value of the template's API key NAME (default: a new random value)",
    )
    local.add_argument(
        "--node-ric",
        metavar="DIR",
        help="where `npm install aws-lambda-ric` ran, for nodejs functions "
        "(default: BEDROCK_STREAM_NODE_RIC)",
    )
    compare = commands.add_parser(
        "compare", help="time a streaming and a buffered endpoint side by side"
    )
    compare.add_argument("urls", nargs=2, metavar="URL", help="two endpoints (POST JSON)")
    compare.add_argument("--message", "-m", default="Tell me about response streaming.")
    compare.add_argument(
        "--header", "-H", action="append", default=[], metavar="NAME: VALUE", help="extra header"
    )
    args = parser.parse_args(argv)
    if args.command == "local":
        return _local(parser, args)
    if args.command == "compare":
        return _compare(parser, args)
    return _init_wrapper(parser, args)


def _init_wrapper(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    if not directory.is_dir():
        parser.error(f"{directory} is not a directory")
    try:
        path = write_wrapper(directory, then=args.then, force=args.force)
    except OSError as exc:  # FileExistsError: a different file, or a symbolic link
        print(f"bedrock-stream: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    print(f"set on the function:  AWS_LAMBDA_EXEC_WRAPPER: /var/task/{WRAPPER_NAME}")
    if os.name == "nt":
        print("note: on Windows, keep the execute bit in git: git update-index --chmod=+x")
    return 0


def _local(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import ipaddress
    import logging
    import socket

    try:
        from bedrock_stream.local.runtimes import RuntimeUnavailable
        from bedrock_stream.local.signals import (
            catch_stop_signals,
            report_stopping,
            wait_for_stop,
        )
        from bedrock_stream.local.stack import LocalStack, PortInUse
        from bedrock_stream.local.template import TemplateError
    except ImportError as exc:
        print(f"bedrock-stream: {exc}: pip install 'bedrock-stream[local]'", file=sys.stderr)
        return 2
    if args.max_concurrency is not None and args.max_concurrency < 1:
        parser.error(f"--max-concurrency {args.max_concurrency}: at least 1")
    parameters = _pairs(parser, "--parameter", args.parameter)
    api_keys = _pairs(parser, "--api-key", args.api_key)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    web = args.web
    if web is None and (Path(args.template).parent / "web").is_dir():
        web = Path(args.template).parent / "web"
    try:
        stack = LocalStack(
            args.template,
            host=args.host,
            port=args.port,
            bedrock=args.bedrock,
            region=args.region,
            speed=args.speed,
            concurrency=args.concurrency,
            max_concurrency=args.max_concurrency,
            parameters=parameters,
            bandwidth=args.bandwidth,
            close_on_disconnect=args.close_on_disconnect,
            web=web,
            api_keys=api_keys,
            node_ric=args.node_ric,
            bedrock_https=args.https,
        )
    except (TemplateError, OSError) as exc:
        print(f"bedrock-stream: {exc}", file=sys.stderr)
        return 2
    # Ctrl-C, SIGTERM and SIGHUP stop the stack cleanly, even from a background job.
    received = catch_stop_signals()
    try:
        stack.start()
    except PortInUse as exc:
        print(f"bedrock-stream: {exc.strerror}", file=sys.stderr)
        return 2
    except (TemplateError, RuntimeUnavailable) as exc:  # read again, or a runtime refused
        print(f"bedrock-stream: {exc}", file=sys.stderr)
        return 2
    for warning in stack.warnings:  # of the template as it runs
        print(f"WARNING: {warning}", file=sys.stderr)
    if not ipaddress.ip_address(socket.gethostbyname(args.host)).is_loopback:
        print(_EXPOSED.format(host=args.host), file=sys.stderr)
    try:
        print(_banner(stack), flush=True)
        wait_for_stop(received)
    finally:
        report_stopping()
        stack.close()
    return 0


_EXPOSED = """\
WARNING: listening on {host}, not on loopback: anyone who reaches this machine can call
every function, the Lambda API and the Runtime APIs, drive the Bedrock emulator (or spend
on real Bedrock with --bedrock aws), read the API keys the web page's /config.json serves,
and sign IAM routes with the public example credentials. The Host check against DNS
rebinding is off. Keep the stack on loopback unless that is what you want."""


def _pairs(parser: argparse.ArgumentParser, option: str, items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"{option} {item!r}: expected KEY=VALUE")
        pairs[key] = value
    return pairs


def _banner(stack: LocalStack) -> str:
    from bedrock_stream.local.stack import IAM_CREDENTIALS

    lines = [f"bedrock-stream local: {stack.template_path}"]
    for endpoint in stack.endpoints:
        mode = "streaming" if endpoint.streaming else "buffered"
        if endpoint.kind == "rest-api":
            lines.append(f"  {endpoint.name:<20} {endpoint.method} {endpoint.url}  ({mode})")
        elif endpoint.kind == "function-url":
            lines.append(f"  {endpoint.name:<20} function URL {endpoint.url}  ({mode})")
        elif endpoint.kind == "lambda-api":
            lines.append(f"  {'Lambda API':<20} endpoint_url={endpoint.url}")
        elif endpoint.kind == "web":
            lines.append(f"  {'Web page':<20} {endpoint.url}  (open it in a browser)")
        else:
            lines.append(f"  {'Bedrock emulator':<20} endpoint_url={endpoint.url}")
            if stack.bedrock.tls is not None:
                lines.append(f"  {'':<20} AWS_CA_BUNDLE={stack.bedrock.tls.ca_bundle}")
    for name, value in stack.api_keys.items():
        enabled = stack.template.api_keys[name].enabled
        lines.append(
            f"  {'API key ' + name:<20} x-api-key: {value}" + ("" if enabled else "  (disabled)")
        )
    if any(option.startswith("--aws-sigv4") for e in stack.endpoints for option in e.credentials):
        access_key, secret_key = IAM_CREDENTIALS
        lines.append(f"  {'IAM credentials':<20} {access_key} / {secret_key} (SigV4, local only)")
    # One line per API or function URL: its first route (the others may speak protocols
    # whose bodies a one-line curl cannot guess).
    first: dict[str, Endpoint] = {}
    for endpoint in stack.endpoints:
        if endpoint.kind in ("rest-api", "function-url"):
            first.setdefault(endpoint.name, endpoint)
    if first:
        lines.append("try:")
        lines.extend(f"  {endpoint.curl()}" for endpoint in first.values())
    lines.append("Ctrl-C stops everything.")
    return "\n".join(lines)


def _compare(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from bedrock_stream.devtools.compare import measure

    headers = {}
    for item in args.header:
        name, sep, value = item.partition(":")
        if not sep:
            parser.error(f"--header {item!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    results = []
    for url in args.urls:
        print(f"== {url}", flush=True)
        try:
            result = measure(
                url,
                {"message": args.message},
                headers=headers,
                on_data=lambda data: print(data.decode("utf-8", "replace"), end="", flush=True),
            )
        except OSError as exc:
            print(f"bedrock-stream: {url}: {exc}", file=sys.stderr)
            return 1
        print()
        results.append(result)
    print(f"{'endpoint':<60} {'status':>6} {'first byte':>11} {'total':>9} {'bytes':>8}")
    for result in results:
        first = "-" if result.first_byte is None else f"{result.first_byte * 1000:.0f} ms"
        note = "" if result.complete else "  TRUNCATED"
        print(
            f"{result.url[-60:]:<60} {result.status:>6} {first:>11} "
            f"{result.total * 1000:>6.0f} ms {result.size:>8}{note}"
        )
    return 0 if all(result.complete and result.status < 400 for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
