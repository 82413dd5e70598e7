"""``python -m bedrock_stream.runtime`` as a process: init errors, imports, logs, the loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest
from runtime_env import runtime_env

from bedrock_stream.local.runtime_api import RuntimeAPIServer

CONFORMANCE = Path(__file__).parent.parent / "data" / "conformance"

APP = """
import logging
from bedrock_stream import streaming_handler

@streaming_handler(http=False, content_type="text/plain")
def stream(event, context):
    logging.getLogger("app").warning("streaming for %s", context.aws_request_id)
    yield "Hello, "
    yield "world"

def plain(event, context):
    print("line one\\nline two")
    return {"echo": event}

def fails(event, context):
    raise ValueError("bad thing")
"""


def _start(
    api: RuntimeAPIServer | None,
    tmp_path: Path,
    *args: str,
    stdout: IO[bytes] | int = subprocess.PIPE,
    **extra: str,
) -> subprocess.Popen[bytes]:
    (tmp_path / "app.py").write_text(APP)
    return subprocess.Popen(
        [sys.executable, "-m", "bedrock_stream.runtime", *args],
        cwd=tmp_path,
        env=runtime_env(api, tmp_path, **extra),
        stdout=stdout,
        stderr=subprocess.STDOUT,
        pass_fds=tuple(int(v) for k, v in extra.items() if k == "_LAMBDA_TELEMETRY_LOG_FD"),
    )


def _stop(proc: subprocess.Popen[bytes]) -> bytes:
    proc.kill()
    out, _ = proc.communicate()
    return out


@pytest.fixture
def api() -> Any:
    with RuntimeAPIServer() as server:
        yield server


def test_serves_streaming_plain_and_failing_handlers(api: RuntimeAPIServer, tmp_path: Path) -> None:
    proc = _start(api, tmp_path, _HANDLER="app.stream")
    try:
        for n in range(2):
            got = api.invoke({"n": n}).result(timeout=30)
            assert (got.status, got.content_type, got.body) == (
                "success",
                "text/plain",
                b"Hello, world",
            )
    finally:
        out = _stop(proc)
    assert b"[WARNING]" in out and b"streaming for" in out


def test_handler_from_argv_beats_handler_variable(api: RuntimeAPIServer, tmp_path: Path) -> None:
    proc = _start(api, tmp_path, "app.plain", _HANDLER="app.stream")
    try:
        got = api.invoke({"a": 1}).result(timeout=30)
        assert json.loads(got.body) == {"echo": {"a": 1}}
        error = api.invoke({}).result(timeout=30)  # still plain: a second invocation
        assert error.status == "success"
    finally:
        _stop(proc)


@pytest.mark.parametrize(
    ("handler", "source", "error_type", "message"),
    [
        (
            "nosuchmodule.handler",
            None,
            "Runtime.ImportModuleError",
            "Unable to import module 'nosuchmodule': No module named 'nosuchmodule'",
        ),
        (
            "app.missing",
            APP,
            "Runtime.HandlerNotFound",
            "Handler 'missing' missing on module 'app'",
        ),
        (
            "nodot",
            None,
            "Runtime.MalformedHandlerName",
            "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)",
        ),
        ("broken.handler", "def handler(:\n", "Runtime.UserCodeSyntaxError", None),
        ("raises.handler", "raise RuntimeError('at import')\n", "RuntimeError", "at import"),
    ],
)
def test_init_errors_like_awslambdaric(
    api: RuntimeAPIServer,
    tmp_path: Path,
    handler: str,
    source: str | None,
    error_type: str,
    message: str | None,
) -> None:
    module = handler.rsplit(".", 1)[0]
    if source is not None:
        (tmp_path / f"{module}.py").write_text(source)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bedrock_stream.runtime", handler],
        cwd=tmp_path,
        env=runtime_env(api, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        error = api.init_error(timeout=30)
        assert proc.wait(timeout=30) == 1
    finally:
        _stop(proc)
    assert error.error_type == error_type
    body = json.loads(error.body)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert body["errorType"] == error_type and body["requestId"] == ""
    if message is not None:
        assert body["errorMessage"] == message
    capture = CONFORMANCE / {
        "Runtime.ImportModuleError": "python-init-import-error.json",
        "Runtime.HandlerNotFound": "python-init-handler-not-found.json",
        "Runtime.MalformedHandlerName": "python-init-malformed-handler.json",
    }.get(error_type, "none")
    if capture.exists():
        import base64

        want = json.loads(capture.read_text())["requests"][-1]
        assert error.body == base64.b64decode(want["body_base64"])
    if error_type == "Runtime.UserCodeSyntaxError":
        assert body["errorMessage"].startswith("Syntax error in module 'broken'")
        assert body["stackTrace"][0].startswith('  File "')


def test_runtime_api_not_up_is_a_bounded_retry_then_fatal(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = _start(None, tmp_path, "app.plain", AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}")
    try:
        assert proc.wait(timeout=60) == 1
    finally:
        out = _stop(proc)
    assert b"FATAL" in out and b"unreachable after 10 attempts" in out


def test_sam_local_falls_back_to_buffered_proxy_responses(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    (tmp_path / "web.py").write_text(
        "from bedrock_stream import streaming_handler\n"
        "@streaming_handler(content_type='text/plain')\n"
        "def handler(event, context):\n    yield 'Hello'\n"
    )
    proc = _start(api, tmp_path, "web.handler", AWS_SAM_LOCAL="true")
    try:
        got = api.invoke({"httpMethod": "GET", "requestContext": {}, "headers": {}}).result(
            timeout=30
        )
    finally:
        _stop(proc)
    assert got.content_type == "application/json"
    assert "lambda-runtime-function-response-mode" not in got.headers
    assert json.loads(got.body)["body"] == "Hello"


def test_error_logs_are_one_frame_each_on_the_telemetry_fd(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    read_fd, write_fd = os.pipe()
    proc = _start(api, tmp_path, "app.fails", _LAMBDA_TELEMETRY_LOG_FD=str(write_fd))
    os.close(write_fd)
    try:
        got = api.invoke({}).result(timeout=30)
        assert got.error_type == "ValueError"
    finally:
        _stop(proc)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    frames = []
    while data:
        kind, length = data[:4], int.from_bytes(data[4:8], "big")
        frames.append((kind.hex(), data[16 : 16 + length].decode()))
        data = data[16 + length :]
    errors = [text for kind, text in frames if kind == "a55a0017"]
    assert len(errors) == 1
    assert errors[0].startswith(
        "[ERROR] ValueError: bad thing\nTraceback (most recent call last):\n"
    )
    assert 'raise ValueError("bad thing")' in errors[0]


def test_json_log_format(api: RuntimeAPIServer, tmp_path: Path) -> None:
    proc = _start(api, tmp_path, "app.stream", AWS_LAMBDA_LOG_FORMAT="JSON")
    try:
        api.invoke({}, request_id="rid-json").result(timeout=30)
    finally:
        out = _stop(proc)
    records = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    record = next(r for r in records if r.get("logger") == "app")
    assert record["level"] == "WARNING"
    assert record["message"] == "streaming for rid-json"
    assert record["requestId"] == "rid-json"


def test_no_third_party_module_before_the_handler(tmp_path: Path) -> None:
    """Cold start: the runtime itself imports only the standard library."""
    script = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import bedrock_stream.runtime.loop, bedrock_stream.runtime.__main__\n"
        "import bedrock_stream.runtime.loader\n"
        "new = sorted(set(sys.modules) - before)\n"
        "std = sys.stdlib_module_names\n"
        "print('\\n'.join(m for m in new if m.split('.')[0] not in std))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env=runtime_env(None, tmp_path),
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert set(out.split()) <= {"bedrock_stream"} | {
        m for m in out.split() if m.startswith("bedrock_stream.")
    }
    assert "h11" not in out and "bedrock_stream.handler" not in out


def test_runtime_api_up_late_is_retried(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = _start(None, tmp_path, "app.plain", AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}")
    try:
        with RuntimeAPIServer(port=port) as api:  # comes up after the runtime started
            got = api.invoke({"late": True}).result(timeout=30)
        assert json.loads(got.body) == {"echo": {"late": True}}
    finally:
        _stop(proc)


# -- error-reporting edges -------------------------------------------------------------

EDGES = """
import logging
import sys
from bedrock_stream import streaming_handler

class ModelStreamError(Exception):
    pass

@streaming_handler(http=False, content_type="text/plain")
def huge_error(event, context):
    yield "partial "
    if not event.get("ok"):
        raise ModelStreamError("x" * (3 * 1024 * 1024))

def forged(event, context):
    logging.getLogger("app").warning("a\\nFORGED b")
    raise ValueError("c\\nFORGED d")

def closes_stdout(event, context):
    if event.get("close"):
        sys.stdout.close()
        raise ValueError("stdout is gone")
    return "still here"
"""


def test_a_huge_mid_stream_error_keeps_its_type_and_the_process(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    """A 3 MB message: the trailers still fit (Go's net/http reads 4 KiB of them at most)."""
    (tmp_path / "edges.py").write_text(EDGES)
    with (tmp_path / "out.log").open("wb") as log:  # a 3 MB log line would fill a pipe
        proc = _start(api, tmp_path, "edges.huge_error", stdout=log)
    try:
        got = api.invoke({}).result(timeout=30)
        after = api.invoke({"ok": True}).result(timeout=30)
        assert proc.poll() is None
    finally:
        _stop(proc)
    assert (got.status, got.error_type, got.body) == ("failure", "ModelStreamError", b"partial ")
    assert sum(len(k) + len(v) + 4 for k, v in got.trailers.items()) <= 4096
    error = got.error_json()
    assert list(error) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert error["errorType"] == "ModelStreamError"
    assert error["errorMessage"].startswith("xxxxxxxx")
    assert error["errorMessage"].endswith(f"[truncated, {3 * 1024 * 1024} characters in all]")
    assert any("raise ModelStreamError" in line for line in error["stackTrace"])
    assert (after.status, after.body) == ("success", b"partial ")
    assert b"x" * (3 * 1024 * 1024) in (tmp_path / "out.log").read_bytes()  # the log: whole


def test_line_feeds_in_a_log_record_cannot_forge_stdout_lines(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    (tmp_path / "edges.py").write_text(EDGES)
    proc = _start(api, tmp_path, "edges.forged")
    try:
        got = api.invoke({}).result(timeout=30)
    finally:
        out = _stop(proc)
    assert got.error_type == "ValueError"
    lines = [line for line in out.split(b"\n") if b"FORGED" in line]
    assert len(lines) == 2, lines
    assert lines[0].startswith(b"[WARNING]\t") and lines[0].endswith(b"\ta\rFORGED b")
    assert lines[1].startswith(b"[ERROR] ValueError: c\rFORGED d\rTraceback")


def test_a_handler_that_closes_stdout_and_raises_does_not_stop_the_runtime(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    (tmp_path / "edges.py").write_text(EDGES)
    proc = _start(api, tmp_path, "edges.closes_stdout")
    try:
        got = api.invoke({"close": True}).result(timeout=30)
        after = api.invoke({}).result(timeout=30)
    finally:
        out = _stop(proc)
    assert got.error_type == "ValueError"
    assert got.error_json()["errorMessage"] == "stdout is gone"
    assert (after.status, after.body) == ("success", b'"still here"')
    assert b"[ERROR] ValueError: stdout is gone\r" in out  # still logged, on fd 1
