"""Plain handlers on Lambda Managed Instances: bedrock-stream's runtime against awslambdaric 4.x.

The same handlers run twice through the local Lambda service in Managed Instances mode: once
under AWS's own runtime client (``python -m awslambdaric``, the managed runtime's command)
and once under bedrock-stream's (the exec wrapper). What a caller and CloudWatch would see
must match: the result (status, content type, body), the error (type, ``errorMessage``,
``errorType``, ``requestId``, a ``stackTrace`` list naming the handler's frame; paths and line
numbers are not compared), and the JSON records the workers send through the log provider
socket (their keys; ``level``, ``message``, ``requestId``), and ``print`` lines.

The difference by design is asserted as such, in :func:`test_init_error`: the runtime's
warning before an init failure's report is its own ``[bedrock-stream]`` line, not
awslambdaric's ``LAMBDA_WARNING`` record on the root logger. (A worker whose ``/init/error``
was refused also says so; that is not asserted, as the environment may end first.)

``AWS_LAMBDA_LOG_LEVEL`` is set as Lambda sets it for the JSON log format: ``INFO`` unless the
function's ``ApplicationLogLevel`` says otherwise (Lambda's value is one of ``TRACE``,
``DEBUG``, ``INFO``, ``WARN``, ``ERROR``, ``FATAL``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import bedrock_stream
from bedrock_stream.cli import write_wrapper
from bedrock_stream.local import slots
from bedrock_stream.local.deployment import Function
from bedrock_stream.local.lambda_service import LambdaService, ServiceInvocation
from bedrock_stream.local.log_fd_provider import LogFdProvider
from waiting import wait_until

RIC = sys.platform.startswith("linux") and importlib.util.find_spec("awslambdaric") is not None
if not RIC:
    print("skipping the parity matrix: awslambdaric (Linux only) is the reference runtime")
pytestmark = pytest.mark.skipif(
    not RIC, reason="awslambdaric (Linux only) is the reference runtime"
)

RUNTIMES = ("awslambdaric", "bedrock-stream")
SLOTS = 3

APP = """
import logging
import socket
import sys

logger = logging.getLogger()
child = logging.getLogger("app.orders")


class OrderRefused(Exception):
    pass


def meet(event):
    if "barrier" in event:
        with socket.create_connection(("127.0.0.1", event["barrier"]), timeout=60) as barrier:
            if barrier.recv(1) != b"g":
                raise RuntimeError("the barrier closed without releasing")


def returns_dict(event, context):
    meet(event)
    return {"name": event["name"], "n": 1, "nested": {"ok": True, "none": None}, "t": "\\u00e9"}


def returns_str(event, context):
    meet(event)
    return f"hello {event['name']}"


def returns_none(event, context):
    meet(event)


def returns_bytes(event, context):
    meet(event)
    return b"\\x00\\xffraw " + event["name"].encode()


def raises_value_error(event, context):
    meet(event)
    raise ValueError(f"bad value in {event['name']}")


def raises_custom(event, context):
    meet(event)
    raise OrderRefused(f"order {event['name']} refused")


def nested(event, context):
    meet(event)
    return {"value": int(event["name"]) + 1}


def runtime(event, context):
    meet(event)
    return sorted(m for m in ("awslambdaric", "bedrock_stream.runtime") if m in sys.modules)


def logs(event, context):
    meet(event)
    name = event["name"]
    logger.debug("debug %s", name)
    logger.info("info %s", name)
    logger.warning("warning %s", name)
    child.info("child %s", name, extra={"orderId": 7})
    try:
        int(name)
    except ValueError:
        logger.exception("caught %s", name)
    print("printed", name)
    return name
"""

BROKEN = "raise RuntimeError('no configuration at import')\n"

HANDLERS = (
    "returns_dict",
    "returns_str",
    "returns_none",
    "returns_bytes",
    "raises_value_error",
    "raises_custom",
    "nested",
    "logs",
    "runtime",
)


class _TeeProvider(LogFdProvider):
    """The local log provider, also keeping each line it hands on, by service."""

    lines: ClassVar[list[tuple[Path, bytes]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path, log: Callable[[bytes], None]) -> None:
        def tee(line: bytes) -> None:
            with self.lock:
                self.lines.append((path.parent, line))
            log(line)

        super().__init__(path, tee)


def provider_lines(service: LambdaService) -> list[str]:
    """Every line ``service``'s workers wrote through the provider socket, so far."""
    with _TeeProvider.lock:
        return [line.decode() for d, line in _TeeProvider.lines if d == service._runtime_dir]


def records(service: LambdaService) -> list[dict[str, Any]]:
    """The JSON records among ``service``'s provider lines."""
    found = []
    for line in provider_lines(service):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            found.append(record)
    return found


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LambdaService]]:
    made: dict[str, LambdaService] = {}
    src = str(Path(bedrock_stream.__file__).parents[1])  # the runtime these tests import
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(slots, "LogFdProvider", _TeeProvider)
        try:
            for runtime in RUNTIMES:
                code = tmp_path_factory.mktemp(runtime)
                (code / "app.py").write_text(APP)
                (code / "broken.py").write_text(BROKEN)
                environment = {"AWS_LAMBDA_LOG_LEVEL": "INFO", "PYTHONPATH": f"{code}:{src}"}
                if runtime == "bedrock-stream":
                    write_wrapper(code)
                    environment["AWS_LAMBDA_EXEC_WRAPPER"] = "/var/task/bedrock-stream"
                functions = {
                    name: Function(
                        name=name,
                        code_dir=code,
                        handler=f"{module}.{name}",
                        runtime="python3.13",
                        timeout=60,
                        environment=environment,
                        max_concurrency=SLOTS,
                    )
                    for module, name in [("app", h) for h in HANDLERS] + [("broken", "handler")]
                }
                made[runtime] = LambdaService(functions, log=lambda line: None)
            yield made
        finally:
            for service in made.values():
                service.close()


def _invoke(service: LambdaService, function: str, **event: Any) -> ServiceInvocation:
    return service.invoke(function, json.dumps(event).encode(), streaming=False)


_FRAME_HEAD = re.compile(r'^  File "[^"]*", line \d+, in ', re.MULTILINE)


def _plain(stack_trace: list[str]) -> list[str]:
    """The frames without their file paths and line numbers."""
    return [_FRAME_HEAD.sub("  File *, line *, in ", frame) for frame in stack_trace]


def observe(
    service: LambdaService, invocation: ServiceInvocation, name: str, *, last: str
) -> dict[str, Any]:
    """What a caller and CloudWatch see of one invocation, paths and line numbers left out.

    ``last`` is the message of the last JSON record the worker writes for it (``error`` for
    the error report), or ``print`` for the ``print`` line: the worker's stdout is one
    connection, read in order, so once that has arrived everything before it has too.
    """
    result = invocation.result(60)
    seen: dict[str, Any] = {
        "status": result.status,
        "content_type": result.content_type,
        "body": result.body.decode("latin-1"),
        "error_type": result.error_type,
    }
    if result.error_body is not None:
        error = result.error_json()
        assert isinstance(error["stackTrace"], list) and error["stackTrace"], error
        assert all(isinstance(frame, str) for frame in error["stackTrace"])
        assert error["requestId"] == invocation.request_id
        seen["error"] = {
            "keys": sorted(error),
            "errorMessage": error["errorMessage"],
            "errorType": error["errorType"],
            "frames": [
                _FRAME_HEAD.sub("  File *, line *, in ", frame) for frame in error["stackTrace"]
            ],
        }

    def own() -> list[dict[str, Any]]:
        return [r for r in records(service) if r.get("requestId") == invocation.request_id]

    def arrived() -> bool:
        if last == "print":
            return f"printed {name}" in provider_lines(service)
        if last == "error":
            return any("errorType" in r for r in own())
        return any(r.get("message") == last for r in own())

    if last:
        wait_until(arrived, f"{name}'s last log line")
    seen["records"] = sorted(
        [sorted(r), r["level"], r.get("message"), r.get("logger"), r.get("errorMessage")]
        for r in own()
    )
    seen["exceptions"] = sorted(  # logging's own records of an exception (logger.exception)
        [r["errorType"], r["location"].rpartition("/")[2], _plain(r["stackTrace"])]
        for r in own()
        if "location" in r
    )
    seen["prints"] = [line for line in provider_lines(service) if line == f"printed {name}"]
    return seen


def _strip(seen: dict[str, Any], runtime: str) -> Any:
    """``seen`` with the runtime's name, part of the event's, taken out."""
    return json.loads(json.dumps(seen).replace(runtime, "*"))


def run_both(
    services: dict[str, LambdaService], function: str, *, last: str = ""
) -> dict[str, Any]:
    """Invoke ``function`` under each runtime; assert both saw the same; return that."""
    seen = {}
    for runtime, service in services.items():
        name = f"{runtime}-{function}"
        invocation = _invoke(service, function, name=name)
        seen[runtime] = _strip(observe(service, invocation, name, last=last), runtime)
    ric, ours = (seen[runtime] for runtime in RUNTIMES)
    assert ours == ric
    return ric  # type: ignore[no-any-return]


def test_a_dict(services: dict[str, LambdaService]) -> None:
    seen = run_both(services, "returns_dict")
    assert (seen["status"], seen["content_type"]) == ("success", "application/json")
    assert json.loads(seen["body"].encode("latin-1")) == {
        "name": "*-returns_dict",
        "n": 1,
        "nested": {"ok": True, "none": None},
        "t": "\u00e9",
    }
    assert seen["records"] == [] and seen["prints"] == []


def test_a_str(services: dict[str, LambdaService]) -> None:
    seen = run_both(services, "returns_str")
    assert (seen["status"], seen["body"]) == ("success", '"hello *-returns_str"')


def test_none(services: dict[str, LambdaService]) -> None:
    seen = run_both(services, "returns_none")
    assert (seen["status"], seen["body"]) == ("success", "null")


def test_bytes(services: dict[str, LambdaService]) -> None:
    seen = run_both(services, "returns_bytes")
    assert (seen["status"], seen["content_type"]) == ("success", "application/unknown")
    assert seen["body"].encode("latin-1") == b"\x00\xffraw *-returns_bytes"


ERROR_RECORD_KEYS = ["errorMessage", "errorType", "level", "requestId", "stackTrace", "timestamp"]


@pytest.mark.parametrize(
    ("function", "error_type", "message", "frame"),
    [
        (
            "raises_value_error",
            "ValueError",
            "bad value in *-raises_value_error",
            "raise ValueError",
        ),
        ("raises_custom", "OrderRefused", "order *-raises_custom refused", "raise OrderRefused"),
        (
            "nested",
            "ValueError",
            "invalid literal for int() with base 10: '*-nested'",
            'return {"value": int(event["name"]) + 1}',
        ),
    ],
)
def test_a_handler_error(
    services: dict[str, LambdaService], function: str, error_type: str, message: str, frame: str
) -> None:
    seen = run_both(services, function, last="error")
    assert (seen["status"], seen["error_type"]) == ("failure", error_type)
    assert seen["error"]["keys"] == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (seen["error"]["errorType"], seen["error"]["errorMessage"]) == (error_type, message)
    # awslambdaric's frames: "  File <path>, line <n>, in <name>" and the source line, no
    # carets under the failing expression, none of the runtime's own frames.
    last = seen["error"]["frames"][-1]
    assert last.startswith(f"  File *, line *, in {function}\n    {frame}")
    assert last.count("\n") == 2
    assert not any("^" in f or "bootstrap" in f for f in seen["error"]["frames"])
    assert seen["records"] == [[ERROR_RECORD_KEYS, "ERROR", None, None, message]]


def test_logging_and_print(services: dict[str, LambdaService]) -> None:
    seen = run_both(services, "logs", last="print")
    keys = ["level", "logger", "message", "requestId", "timestamp"]
    assert seen["records"] == sorted(
        [
            [keys, "INFO", "info *-logs", "root", None],
            [keys, "WARNING", "warning *-logs", "root", None],
            [sorted([*keys, "orderId"]), "INFO", "child *-logs", "app.orders", None],
            [
                sorted([*keys, "errorMessage", "errorType", "location", "stackTrace"]),
                "ERROR",
                "caught *-logs",
                "root",
                "invalid literal for int() with base 10: '*-logs'",
            ],
        ]
    )  # no DEBUG record: AWS_LAMBDA_LOG_LEVEL=INFO
    assert seen["prints"] == ["printed *-logs"]
    ((error_type, location, frames),) = seen["exceptions"]
    line = APP.splitlines().index('        logger.exception("caught %s", name)') + 1
    assert (error_type, location) == ("ValueError", f"app.py:logs:{line}")
    assert frames == ["  File *, line *, in logs\n    int(name)\n"]


def test_each_runtime_is_the_one_named(services: dict[str, LambdaService]) -> None:
    loaded = {
        runtime: json.loads(_invoke(service, "runtime", name=runtime).result(60).body)
        for runtime, service in services.items()
    }
    # The wrapper replaces awslambdaric: it is never imported under bedrock-stream.
    assert loaded == {
        "awslambdaric": ["awslambdaric"],
        "bedrock-stream": ["bedrock_stream.runtime"],
    }


WARNING = "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function"


def test_init_error(services: dict[str, LambdaService]) -> None:
    seen: dict[str, Any] = {}
    lines: dict[str, list[str]] = {}
    for runtime, service in services.items():
        result = _invoke(service, "handler", name=runtime).result(60)
        error = result.error_json()
        assert isinstance(error["stackTrace"], list)
        frames = [_FRAME_HEAD.sub("  File *, line *, in ", f) for f in error["stackTrace"]]
        seen[runtime] = _strip(
            {
                "status": result.status,
                "type": result.error_type,
                "error": {**error, "stackTrace": frames},
            },
            runtime,
        )

        def no_request(service: LambdaService = service) -> list[str]:
            return [
                line
                for line in provider_lines(service)
                if not line.startswith("{") or json.loads(line).get("requestId") in (None, "")
            ]

        # The worker whose report Lambda took logged it first (one ERROR record); the others
        # may be ended, as the environment is, before or after they log theirs.
        wait_until(
            lambda s=service: any('"level": "ERROR"' in line for line in no_request(s)),
            f"{runtime}'s init error record",
        )
        lines[runtime] = no_request()
    ric, ours = seen["awslambdaric"], seen["bedrock-stream"]
    assert ours == ric
    assert (ric["status"], ric["type"]) == ("failure", "RuntimeError")
    assert ric["error"]["errorMessage"] == "no configuration at import"
    assert ric["error"]["requestId"] == ""  # no invocation yet
    assert ric["error"]["stackTrace"][-1].startswith("  File *, line *, in <module>\n    raise")
    assert not any("^" in frame for frame in ric["error"]["stackTrace"])

    def error_records(runtime: str) -> set[Any]:
        found = [json.loads(line) for line in lines[runtime] if '"level": "ERROR"' in line]
        return {
            (
                tuple(sorted(r)),
                r["errorType"],
                r["errorMessage"],
                r["requestId"],
                *_plain(r["stackTrace"]),
            )
            for r in found
        }

    assert error_records("bedrock-stream") == error_records("awslambdaric")
    assert len(error_records("awslambdaric")) == 1  # each worker's report is the same
    # By design: the warning before the report is the runtime's own line, not awslambdaric's
    # LAMBDA_WARNING record on the root logger (docs/runtime.md, "The runtime's own lines").
    ric_warnings = [json.loads(line) for line in lines["awslambdaric"] if WARNING in line]
    assert ric_warnings and {(r["level"], r["logger"]) for r in ric_warnings} == {
        ("WARNING", "root")
    }
    our_warning = "[bedrock-stream] WARNING: the function failed to initialize"
    assert any(line.startswith(our_warning) for line in lines["bedrock-stream"])
    assert not any(WARNING in line for line in lines["bedrock-stream"])


def test_the_matrix_at_once(services: dict[str, LambdaService]) -> None:
    # SLOTS invocations of one function at a time, held in a loopback barrier until all of
    # them are inside their handlers: sequential workers would never be released.
    cases = [("returns_dict", ""), ("raises_custom", "error"), ("logs", "print")]
    seen: dict[str, list[Any]] = {}
    for runtime, service in services.items():
        seen[runtime] = []
        for function, last in cases:
            listener = socket.create_server(("127.0.0.1", 0))
            try:
                names = [f"{runtime}-{function}-{i}" for i in range(SLOTS)]
                port = listener.getsockname()[1]
                invocations = [
                    _invoke(service, function, name=name, barrier=port) for name in names
                ]
                listener.settimeout(60)
                arrived = [listener.accept()[0] for _ in names]
                for connection in arrived:
                    connection.sendall(b"g")
                    connection.close()
                for name, invocation in zip(names, invocations, strict=True):
                    observed = observe(service, invocation, name, last=last)
                    seen[runtime].append(_strip(observed, f"{runtime}-{function}"))
            finally:
                listener.close()
    assert seen["bedrock-stream"] == seen["awslambdaric"]
    statuses = [observed["status"] for observed in seen["awslambdaric"]]
    assert statuses == ["success"] * SLOTS + ["failure"] * SLOTS + ["success"] * SLOTS
    assert [o["prints"] for o in seen["awslambdaric"][-SLOTS:]] == [
        [f"printed *-{i}"] for i in range(SLOTS)
    ]
