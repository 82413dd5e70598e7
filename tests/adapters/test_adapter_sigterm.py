"""An ASGI app's lifespan shutdown runs when the process gets SIGTERM, as Lambda sends it."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

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
