"""An ASGI app's lifespan shutdown runs when the process gets SIGTERM, as Lambda sends it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import urllib.request
from pathlib import Path

import pytest

from waiting import wait_until

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from bedrock_stream.asgi import asgi_handler

    async def app(scope, receive, send):
        assert scope["type"] == "lifespan"
        while True:
            message = await receive()
            with open(sys.argv[1], "a") as log:
                log.write(message["type"] + "\\n")
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return

    handler = asgi_handler(app)
    print("ready", flush=True)
    time.sleep(30)
    """
)


def test_sigterm_runs_the_shutdown_then_ends_the_process_as_sigterm_does(tmp_path: Path) -> None:
    log = tmp_path / "lifespan.log"
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(log)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == -signal.SIGTERM
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert log.read_text().split() == ["lifespan.startup", "lifespan.shutdown"]


BOTH = textwrap.dedent(
    """
    from bedrock_stream.asgi import asgi_handler

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                print(message["type"], flush=True)
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    handler = asgi_handler(app)  # the module uvicorn serves is the Lambda function's too
    """
)


@pytest.mark.parametrize("workers", [1, 2], ids=["uvicorn", "uvicorn-workers"])
def test_uvicorn_serves_a_module_that_makes_the_handler_and_stops_on_sigterm(
    tmp_path: Path, workers: int
) -> None:
    pytest.importorskip("uvicorn")
    (tmp_path / "both.py").write_text(BOTH)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        fd = listener.fileno()
        command = [sys.executable, "-m", "uvicorn", "both:app", "--fd", str(fd)]
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            cwd=tmp_path,
            pass_fds=(fd,),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its workers go with it, whatever happens
        )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        wait_until(
            lambda: "".join(lines).count("Application startup complete") == workers,
            "uvicorn's workers started",
        )
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            assert response.read() == b"ok"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        reader.join(timeout=30)
        process.stdout.close()
    out = "".join(lines)
    assert "Traceback" not in out, out
    assert process.returncode in (0, -signal.SIGTERM), out
    # Each serving process runs the app's lifespan once under uvicorn; a module imported
    # outside a running loop (one worker) also runs it once for the handler.
    assert out.count("lifespan.startup") == (2 if workers == 1 else workers), out
    assert out.count("lifespan.shutdown") >= workers, out
