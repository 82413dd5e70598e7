"""Cold start to Bedrock: the boto3 path against the built-in transport, from a fresh process.

Each path runs in a new process per repetition, with ``BEDROCK_STREAM_BEDROCK_TRANSPORT``
set to ``boto3`` or ``builtin`` and nothing else different: the endpoint
(``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``) is HTTPS on loopback, trusted through
``AWS_CA_BUNDLE`` (a throwaway CA), with ``AWS_DEFAULT_REGION``, fake keys, and
``AWS_CONFIG_FILE`` / ``AWS_SHARED_CREDENTIALS_FILE`` naming files that do not exist. The
order of the paths rotates on every repetition. Figures:

* **first request** (``first_request_ms``): spawn to the first byte of the ConverseStream
  request arriving over TLS. The child is ``python -c`` importing
  ``bedrock_stream.bedrock`` and iterating ``stream_text(...)`` (Converse). The endpoint is
  a TLS-terminating proxy in this process (:class:`Stamp`, the loopback certificate's
  server context) in front of the Bedrock emulator on plain HTTP: it notes, on this
  process's monotonic clock, when it accepts the TCP connection, when the handshake ends
  and when its first ``recv()`` of decrypted bytes returns (the request head), and then
  forwards both ways, with ``TCP_NODELAY`` on both its sockets so that it adds no delayed
  ACK wait. The spawn time is taken just before ``subprocess.Popen``, on the same clock.
  So the interval counts the interpreter's start, every import (``ssl`` included), the
  client's set-up, loading the CA file, the TCP connect and the TLS
  handshake. ``connect_ms`` and ``handshake_ms`` split it: spawn to the TCP connection
  accepted, and that to the handshake's end. ``first_token_ms`` is spawn to the first
  text delta the child writes to its stdout; every answer is checked against the text
  the emulator recorded, and its ``User-Agent`` against the path's.
* **peak RSS** (``rss_mib``): the child's ``VmHWM`` (/proc), read once its answer is
  streamed, while it waits on stdin to exit. Not ``ru_maxrss`` from ``os.wait4``: Linux
  carries the high-water mark of the address space an ``exec`` replaces into it, and
  ``subprocess`` spawns by ``vfork``, so that figure is this (much larger) process's RSS.
* **the floor** (``floor``): a child doing what both paths must, and no more: the
  interpreter, ``import bedrock_stream.bedrock``, ``import ssl``, a default context
  loading the same CA file, a TCP connection and TLS handshake to the same proxy, then
  one small request (``GET /_emulator/requests``) on a bare ``ssl`` socket. ``adds_ms``
  and ``adds_rss_mib`` are each path's figure less the floor's in the same repetition:
  what the path itself costs.
* **through the local stack** (``stack_ttfb_ms``): a fresh ``LocalStack`` per
  repetition (``bedrock_https=True``: the functions get the emulator's HTTPS endpoint and
  CA) serving two functions, the same module (cold_start_app.py, on bedrock-stream's
  streaming runtime by its exec wrapper) with the two transports, behind streaming
  function URLs. Each function's first request spawns its process (a cold start:
  init, including ``prime()``, then the invocation); the figure is the client's, from
  sending the request to the first body byte, the model's first token.
* **warm per-event cost** (``us_per_event``): the recorded ConverseStream bodies in
  tests/data/bedrock-recordings, decoded in 64 KiB reads (what both transports read at
  a time) by the built-in transport's ``EventStreamDecoder`` + ``decode_message``, and by
  botocore's ``EventStream`` (its ``EventStreamBuffer`` and ``EventStreamJSONParser`` on
  the service model's output shape), both in this process; the events must be equal,
  but for members botocore's model does not know, which the built-in transport keeps
  (counted as ``events_with_unmodelled_members``).

Figures are medians with min-max; ratios are medians of per-repetition pairs, builtin /
boto3. One more ``-X importtime`` run of each path and the floor attributes their imports:
self time summed by top-level package (``imports_ms``; inflated by the tracing itself).

    python benchmarks/cold_start.py --reps 21   # writes benchmarks/results/cold_start.json
"""

from __future__ import annotations

import argparse
import base64
import compileall
import http.client
import json
import os
import select
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
RECORDINGS = ROOT / "tests" / "data" / "bedrock-recordings"
WRAPPER = ROOT / "tests" / "stack" / "app" / "src" / "bedrock-stream"
"""The exec wrapper ``bedrock-stream init-wrapper`` writes: the functions run on our runtime."""
sys.path.insert(0, str(HERE))

from cold_start_app import MODEL_ID, PROMPT  # noqa: E402

from bedrock_stream.local.bedrock import BedrockEmulator  # noqa: E402
from bedrock_stream.local.tls import LoopbackCertificate  # noqa: E402

PATHS = ("boto3", "builtin")
FLOOR = "floor"
OURS, PEER = "builtin", "boto3"
READ = 64 * 1024
"""Bytes per read: the built-in transport's, and urllib3's ``stream()`` default."""
Row = dict[str, float]

DONE = """
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stdout's end: the parent reads VmHWM
sys.stdin.read()  # and then lets this process exit
"""
CHILD = (
    """\
import os, sys
from bedrock_stream.bedrock import stream_text
for text in stream_text({prompt!r}, model_id={model!r}):
    os.write(1, text.encode())
"""
    + DONE
)
FLOOR_CHILD = (
    """\
import os, socket, ssl, sys
import bedrock_stream.bedrock
host, port = {host!r}, {port}
context = ssl.create_default_context(cafile=os.environ["AWS_CA_BUNDLE"])
context.set_alpn_protocols(["http/1.1"])
with socket.create_connection((host, port)) as raw:
    with context.wrap_socket(raw, server_hostname=host) as tls:
        head = "GET /_emulator/requests HTTP/1.1\\r\\nHost: {host}\\r\\n"
        tls.sendall((head + "Connection: close\\r\\n\\r\\n").encode())
        while tls.recv(65536):
            pass
os.write(1, b".")
"""
    + DONE
)


# -- the timestamping TLS proxy ---------------------------------------------------------------


class Stamp:
    """A TLS-terminating loopback proxy that notes when each connection's bytes arrive.

    Every accepted connection is handshaken with ``context`` and its traffic forwarded to
    ``backend`` (plain HTTP); :meth:`arrival` returns the next connection's
    ``(accepted, handshaken, first byte)`` times, monotonic ns. One thread per connection
    uses its TLS socket, so reads and writes never run at once on one TLS object.
    """

    def __init__(self, context: ssl.SSLContext, backend: tuple[str, int]) -> None:
        self._context = context
        self._backend = backend
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._arrivals: list[tuple[int, int, int]] = []
        self._arrived = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def arrival(self, timeout: float = 60) -> tuple[int, int, int]:
        """The oldest connection's times not yet taken."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: self._arrivals, timeout):
                raise TimeoutError("no request reached the proxy")
            return self._arrivals.pop(0)

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            accepted = time.monotonic_ns()
            threading.Thread(target=self._serve, args=(conn, accepted), daemon=True).start()

    def _serve(self, conn: socket.socket, accepted: int) -> None:
        # Without TCP_NODELAY, each small write after the first waits for the peer's
        # delayed ACK (40 ms): the proxy must add no such wait to either side.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self._context.wrap_socket(conn, server_side=True)
        except (OSError, ssl.SSLError):
            conn.close()
            return
        handshaken = time.monotonic_ns()
        with tls, socket.create_connection(self._backend) as upstream:
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                data = tls.recv(READ)
                first = time.monotonic_ns()
                with self._arrived:
                    self._arrivals.append((accepted, handshaken, first))
                    self._arrived.notify_all()
                while data:
                    upstream.sendall(data)
                    data = self._pump(tls, upstream)
            except (OSError, ssl.SSLError):
                pass

    @staticmethod
    def _pump(tls: ssl.SSLSocket, upstream: socket.socket) -> bytes:
        """Relay the backend's bytes to the client until the client sends more; return those
        (empty once either side has closed)."""
        while True:
            if not tls.pending():
                ready, _, _ = select.select([tls, upstream], [], [], 120)
                if not ready:
                    return b""
                if upstream in ready:
                    answer = upstream.recv(READ)
                    if not answer:
                        return b""
                    tls.sendall(answer)
                    continue
            return tls.recv(READ)


# -- first request, RSS, floor -----------------------------------------------------------------


def child_env(stamp: Stamp, ca_bundle: Path, transport: str, scratch: Path) -> dict[str, str]:
    """A fresh process's environment: nothing inherited but ``PATH``, ``HOME`` and ``LANG``."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return {
        **keep,
        "BEDROCK_STREAM_BEDROCK_TRANSPORT": transport,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": stamp.url,
        "AWS_CA_BUNDLE": str(ca_bundle),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_CONFIG_FILE": str(scratch / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def run_child(
    code: str, env: dict[str, str], stamp: Stamp, *, flags: tuple[str, ...] = ()
) -> tuple[Row, bytes, bytes]:
    """Spawn ``python -c code``: its figures, its stdout and its stderr."""
    spawned = time.monotonic_ns()
    proc = subprocess.Popen(
        [sys.executable, *flags, "-c", code],
        env=env,
        cwd=tempfile.gettempdir(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    errors: list[bytes] = []
    stderr = proc.stderr
    reader = threading.Thread(target=lambda: errors.append(stderr.read()))
    reader.start()
    first_out = proc.stdout.read(1)
    first_token = time.monotonic_ns()
    out = first_out + proc.stdout.read()
    rss = vmhwm_mib(proc.pid)
    proc.stdin.close()
    proc.wait()
    reader.join()
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode != 0 or not first_out:
        raise RuntimeError(f"child failed ({proc.returncode}): {errors[0].decode()[-2000:]}")
    accepted, handshaken, first = stamp.arrival()
    row = {
        "first_request_ms": (first - spawned) / 1e6,
        "connect_ms": (accepted - spawned) / 1e6,
        "handshake_ms": (handshaken - accepted) / 1e6,
        "first_token_ms": (first_token - spawned) / 1e6,
        "rss_mib": rss,
    }
    return row, out, errors[0]


def vmhwm_mib(pid: int) -> float:
    """The peak RSS of ``pid``'s address space since its exec (``VmHWM``), MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def run_path(transport: str, stamp: Stamp, emulator: BedrockEmulator, env: dict[str, str]) -> Row:
    """One fresh process streaming one answer over ``transport``; its text checked."""
    code = CHILD.format(prompt=PROMPT, model=MODEL_ID)
    row, out, _ = run_child(code, env, stamp)
    record = emulator.requests[-1]
    if record.operation != "converse-stream" or out.decode() != record.text:
        raise AssertionError(f"{transport}: the streamed text is not the emulator's answer")
    agent = next(value for name, value in record.headers if name.lower() == "user-agent")
    if agent.startswith("Boto3/") != (transport == "boto3"):
        raise AssertionError(f"{transport}: the request came from {agent!r}")
    return row


def run_floor(stamp: Stamp, env: dict[str, str]) -> Row:
    """The floor: interpreter, the package's import, ssl, CA, handshake, one bare request."""
    row, out, _ = run_child(FLOOR_CHILD.format(host="127.0.0.1", port=stamp.port), env, stamp)
    if out != b".":
        raise AssertionError(f"floor: unexpected output {out[:80]!r}")
    del row["first_token_ms"]
    return row


def import_times(code: str, env: dict[str, str], stamp: Stamp) -> dict[str, float]:
    """One ``-X importtime`` run: self time of the imports by top-level package, ms."""
    _, _, err = run_child(code, env, stamp, flags=("-X", "importtime"))
    totals: dict[str, float] = {}
    for line in err.decode().splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
        package = name.split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(self_us) / 1000
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


# -- through the local stack --------------------------------------------------------------------

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.13
    CodeUri: src/
    Handler: cold_start_app.handler
    Timeout: 60
Resources:
"""
FUNCTION = """\
  {name}:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          AWS_LAMBDA_EXEC_WRAPPER: /var/task/bedrock-stream
          BEDROCK_STREAM_BEDROCK_TRANSPORT: {transport}
          AWS_CONFIG_FILE: {scratch}/no-config
          AWS_SHARED_CREDENTIALS_FILE: {scratch}/no-credentials
      FunctionUrlConfig:
        AuthType: NONE
        InvokeMode: RESPONSE_STREAM
"""
FUNCTIONS = {"boto3": "Boto3Function", "builtin": "BuiltinFunction"}


def stack_app(scratch: Path) -> Path:
    """Write the two functions' template and code under ``scratch``; return the template."""
    code = scratch / "src"
    code.mkdir()
    shutil.copy(HERE / "cold_start_app.py", code / "cold_start_app.py")
    shutil.copy(WRAPPER, code / "bedrock-stream")
    (code / "bedrock-stream").chmod(0o755)
    compileall.compile_file(code / "cold_start_app.py", quiet=1)
    template = TEMPLATE + "".join(
        FUNCTION.format(name=name, transport=transport, scratch=scratch)
        for transport, name in FUNCTIONS.items()
    )
    (scratch / "template.yaml").write_text(template)
    return scratch / "template.yaml"


def first_body_byte(url: str) -> tuple[float, bytes]:
    """GET ``url``: ms from the request sent to the first body byte, and the whole body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=120)
    try:
        started = time.monotonic_ns()
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        first = response.read1(1)
        ttfb = (time.monotonic_ns() - started) / 1e6
        if response.status != 200 or not first:
            raise RuntimeError(f"{url}: {response.status} {first + response.read()!r}")
        return ttfb, first + response.read()
    finally:
        connection.close()


def stack_repetition(template: Path, order: list[str]) -> dict[str, float]:
    """A fresh stack; each function's first (cold) request in ``order``: TTFB by path, ms."""
    from bedrock_stream.local.stack import LocalStack

    ttfb = {}
    with LocalStack(template, port=0, speed=0, bedrock_https=True).start() as stack:
        for transport in order:
            url = stack.endpoint(FUNCTIONS[transport], "function-url").url
            ttfb[transport], body = first_body_byte(url)
            if body.decode() != stack.bedrock.requests[-1].text:
                raise AssertionError(f"stack, {transport}: the body is not the emulator's answer")
    return ttfb


# -- warm per-event cost --------------------------------------------------------------------


def converse_bodies() -> list[bytes]:
    """The recorded ConverseStream bodies of successful answers."""
    index = json.loads((RECORDINGS / "index.json").read_text())
    bodies = []
    for entry in index:
        if entry["operation"] == "ConverseStream" and entry["http_status"] == 200:
            fixture = json.loads((RECORDINGS / entry["file"]).read_text())
            bodies.append(base64.b64decode(fixture["body_base64"]))
    return bodies


def chunks(body: bytes) -> list[bytes]:
    return [body[at : at + READ] for at in range(0, len(body), READ)]


def builtin_events(parts: list[bytes]) -> list[dict[str, Any]]:
    """A body's events as the built-in transport's stream yields them."""
    from bedrock_stream.bedrock.transport.operations import decode_message
    from bedrock_stream.protocol.eventstream_decoder import EventStreamDecoder

    decoder = EventStreamDecoder()
    events = []
    for data in parts:
        for message in decoder.feed(data):
            if (event := decode_message(message)) is not None:
                events.append(event)
    decoder.close()
    return events


class _Raw:
    """What botocore's ``EventStream`` reads: a body that yields its chunks."""

    def __init__(self, parts: list[bytes]) -> None:
        self._parts = parts

    def stream(self) -> Iterator[bytes]:
        return iter(self._parts)

    def close(self) -> None:
        pass


def botocore_decoder() -> Callable[[list[bytes]], list[dict[str, Any]]]:
    """A body's events as boto3's ``converse_stream(...)["stream"]`` yields them."""
    import botocore.session
    from botocore.eventstream import EventStream
    from botocore.parsers import EventStreamJSONParser

    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model("ConverseStream").output_shape.members["stream"]
    parser = EventStreamJSONParser()

    def decode(parts: list[bytes]) -> list[dict[str, Any]]:
        return list(EventStream(_Raw(parts), shape, parser, "ConverseStream"))

    return decode


def covers(ours: Any, theirs: Any) -> bool:
    """Whether ``ours`` holds all of ``theirs``: the built-in transport keeps members the
    service model (botocore's) does not know, which botocore drops."""
    if isinstance(theirs, dict):
        return isinstance(ours, dict) and all(
            key in ours and covers(ours[key], value) for key, value in theirs.items()
        )
    if isinstance(theirs, list):
        return (
            isinstance(ours, list) and len(ours) == len(theirs) and all(map(covers, ours, theirs))
        )
    return bool(ours == theirs)


def decode_repetition(
    decoders: dict[str, Callable[[list[bytes]], list[dict[str, Any]]]],
    bodies: list[list[bytes]],
    order: list[str],
    seconds: float,
) -> dict[str, float]:
    """µs per event of each decoder over every body, looped for at least ``seconds``."""
    figures = {}
    for name in order:
        decode = decoders[name]
        events = loops = 0
        started = time.perf_counter()
        while True:
            for parts in bodies:
                events += len(decode(parts))
            loops += 1
            elapsed = time.perf_counter() - started
            if elapsed >= seconds:
                break
        figures[name] = elapsed / events * 1e6
    return figures


# -- the run -------------------------------------------------------------------------------------

LABELS = {
    "first_request_ms": "spawn to the first request byte over TLS, ms",
    "adds_ms": "the same, over the floor, ms",
    "connect_ms": "spawn to the TCP connection, ms",
    "handshake_ms": "TLS handshake (server side), ms",
    "first_token_ms": "spawn to the first token in the process, ms",
    "rss_mib": "peak RSS, MiB",
    "adds_rss_mib": "peak RSS over the floor, MiB",
    "stack_ttfb_ms": "local stack, cold: request to first body byte, ms",
    "us_per_event": "warm: µs per ConverseStream event decoded",
}
TARGETS = [
    # (metric, comparison, bound, what the issue asks)
    ("first_request_ms", "<=", 0.25, "time to first request at most 0.25x boto3's"),
    ("adds_ms", "<=", 0.25, "the same, over the shared floor"),
    ("rss_mib", "<=", 0.5, "peak RSS at most 0.5x boto3's"),
    ("adds_rss_mib", "<=", 0.5, "the same, over the shared floor"),
    ("us_per_event", "<=", 1.0, "warm per-event cost no worse than botocore's"),
]
RATIOS = ["first_token_ms", "stack_ttfb_ms"]
"""Reported as builtin / boto3 ratios too, with no target."""
MEETS = {"<": float.__lt__, "<=": float.__le__}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):,.2f} ({min(values):,.2f}-{max(values):,.2f})"


def pairs(rows: list[dict[str, Row]], metric: str) -> list[float]:
    """``metric``'s builtin / boto3 ratio in every repetition that has it."""
    return [
        row[OURS][metric] / row[PEER][metric]
        for row in rows
        if metric in row[OURS] and row[PEER].get(metric)
    ]


def summarize(rows: list[dict[str, Row]]) -> tuple[str, list[dict[str, Any]], dict[str, Any]]:
    """The report's tables (markdown), the targets with their median ratios, and the other
    ratios."""
    names = [*PATHS, FLOOR]
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for metric, label in LABELS.items():
        cells = []
        for name in names:
            values = [row[name][metric] for row in rows if metric in row.get(name, {})]
            cells.append(spread(values) if values else "-")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", f"| target, {OURS} / {PEER} | ratio, median (min-max) | met |", "|---|---|---|"]
    targets = []
    for metric, comparison, bound, goal in TARGETS:
        ratios = pairs(rows, metric)
        median = statistics.median(ratios)
        met = MEETS[comparison](median, bound)
        goal = f"{goal} ({comparison} {bound:g})"
        targets.append(
            {"metric": metric, "goal": goal, "ratio": median, "min": min(ratios),
             "max": max(ratios), "met": met, "pairs": len(ratios)}
        )  # fmt: skip
        lines.append(
            f"| {goal} | **{median:.2f}** ({min(ratios):.2f}-{max(ratios):.2f}) | "
            f"{'yes' if met else 'no'} |"
        )
    others = {}
    for metric in RATIOS:
        ratios = pairs(rows, metric)
        others[metric] = {
            "ratio": statistics.median(ratios),
            "min": min(ratios),
            "max": max(ratios),
        }
        lines.append(
            f"| {LABELS[metric]} (no target) | {others[metric]['ratio']:.2f} "
            f"({min(ratios):.2f}-{max(ratios):.2f}) | - |"
        )
    return "\n".join(lines), targets, others


def process_reps(args: argparse.Namespace, scratch: Path) -> tuple[list[dict[str, Row]], Any]:
    """Fresh processes of each path and the floor, ``args.reps`` times, the order rotated;
    then one ``-X importtime`` run of each: its imports' time by package."""
    names = [*PATHS, FLOOR]
    rows: list[dict[str, Row]] = []
    certificate = LoopbackCertificate(http2=False)
    with BedrockEmulator(speed=0) as emulator:
        stamp = Stamp(certificate.context, (emulator.host, emulator.port))
        envs = {
            name: child_env(stamp, certificate.ca_bundle, name if name in PATHS else OURS, scratch)
            for name in names
        }
        for name in PATHS:  # warm the page cache: every file either path reads
            run_path(name, stamp, emulator, envs[name])
        for rep in range(args.reps):
            order = names[rep % len(names) :] + names[: rep % len(names)]
            row = {
                name: run_floor(stamp, envs[name])
                if name == FLOOR
                else run_path(name, stamp, emulator, envs[name])
                for name in order
            }
            for name in PATHS:
                row[name]["adds_ms"] = (
                    row[name]["first_request_ms"] - row[FLOOR]["first_request_ms"]
                )
                row[name]["adds_rss_mib"] = row[name]["rss_mib"] - row[FLOOR]["rss_mib"]
            rows.append({name: row[name] for name in names})
            print(f"rep {rep + 1}/{args.reps}: " + json.dumps(rows[-1]), file=sys.stderr)
        code = CHILD.format(prompt=PROMPT, model=MODEL_ID)
        imports = {name: import_times(code, envs[name], stamp) for name in PATHS}
        floor_code = FLOOR_CHILD.format(host="127.0.0.1", port=stamp.port)
        imports[FLOOR] = import_times(floor_code, envs[FLOOR], stamp)
        stamp.close()
    certificate.close()
    return rows, imports


def stack_reps(args: argparse.Namespace, scratch: Path) -> list[dict[str, float]]:
    """``args.stack_reps`` fresh stacks, the order of the paths alternated: TTFB by path."""
    template = stack_app(scratch)
    rows = []
    for rep in range(args.stack_reps):
        rows.append(stack_repetition(template, list(PATHS) if rep % 2 == 0 else [OURS, PEER]))
        print(f"stack rep {rep + 1}/{args.stack_reps}: " + json.dumps(rows[-1]), file=sys.stderr)
    return rows


def decode_reps(args: argparse.Namespace) -> tuple[list[dict[str, float]], dict[str, int]]:
    """µs per event of each decoder, ``args.reps`` times, the order alternated; and the
    recordings' counts."""
    bodies = [chunks(body) for body in converse_bodies()]
    decoders = {OURS: builtin_events, PEER: botocore_decoder()}
    extra = events = 0
    for parts in bodies:
        ours, theirs = decoders[OURS](parts), decoders[PEER](parts)
        if len(ours) != len(theirs) or not all(map(covers, ours, theirs)):
            raise AssertionError("the built-in transport's events differ from botocore's")
        events += len(ours)
        extra += sum(1 for a, b in zip(ours, theirs, strict=True) if a != b)
    rows = [
        decode_repetition(
            decoders, bodies, list(PATHS) if rep % 2 == 0 else [OURS, PEER], args.decode_seconds
        )
        for rep in range(args.reps)
    ]
    counts = {"recordings": len(bodies), "events": events, "events_with_unmodelled_members": extra}
    return rows, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=21, help="fresh processes per path")
    parser.add_argument("--stack-reps", type=int, default=9, help="fresh local stacks")
    parser.add_argument("--decode-seconds", type=float, default=0.3, help="per decoder and rep")
    parser.add_argument("--json", type=Path, default=HERE / "results" / "cold_start.json")
    args = parser.parse_args()
    if not 0 < args.stack_reps <= args.reps:
        parser.error("--stack-reps must be between 1 and --reps")
    # Deployed code carries .pyc files (pip compiles on install); so must these sources.
    compileall.compile_dir(SRC / "bedrock_stream", quiet=1)
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        rows, imports = process_reps(args, Path(tmp))
        stack = stack_reps(args, Path(tmp))
    decoded, counts = decode_reps(args)
    # rows[i] holds the i-th repetition of every measurement (the stack's are fewer).
    for metric, figures in (("stack_ttfb_ms", stack), ("us_per_event", decoded)):
        for row, pair in zip(rows, figures, strict=False):
            for name in PATHS:
                row[name][metric] = pair[name]
    report, targets, others = summarize(rows)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "reps": args.reps,
        "stack_reps": args.stack_reps,
        **counts,
        "labels": LABELS,
        "rows": rows,
        "targets": targets,
        "ratios": others,
        "imports_ms": imports,
    }
    args.json.write_text(json.dumps(result, indent=1))
    print(report)
    for name, packages in imports.items():
        top = ", ".join(f"{package} {ms:.1f}" for package, ms in list(packages.items())[:8])
        print(f"imports, {name}: {sum(packages.values()):.1f} ms in all; {top}")


if __name__ == "__main__":
    main()
