"""`bedrock-stream local` and `bedrock-stream compare` as a user runs them."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bedrock_stream.cli import main

APP = Path(__file__).parent / "app" / "template.yaml"
BANNER = re.compile(r"^\s+(\w+)\s+POST (\S+)\s+\((streaming|buffered)\)$")

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and process groups")


def _start(*args: str, log: Path | None = None) -> subprocess.Popen[str]:
    """Start the CLI; its log goes to ``log`` (a file, never an unread pipe) when given."""
    command = [sys.executable, "-m", "bedrock_stream.cli", "local", "-t", str(APP), *args]
    with contextlib.ExitStack() as files:
        stderr = subprocess.PIPE if log is None else files.enter_context(log.open("w"))
        return subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT dumps every thread's stack
        )


def _interrupt(process: subprocess.Popen[str], log: Path) -> int:
    """Send Ctrl-C and wait for the exit status; a hang fails with every thread's stack."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        process.wait(timeout=10)
        pytest.fail(f"Ctrl-C did not stop the stack in 30 s:\n{log.read_text()}")


def _banner(process: subprocess.Popen[str]) -> Iterator[str]:
    assert process.stdout is not None
    for line in process.stdout:
        yield line.rstrip("\n")
        if line.startswith("Ctrl-C"):
            return


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_local_prints_every_endpoint_serves_them_and_ctrl_c_stops_everything(
    tmp_path: Path,
) -> None:
    log = tmp_path / "stack.log"
    process = _start("--port", "0", "--speed", "0", log=log)
    try:
        lines = list(_banner(process))
        routes = {m[1]: (m[2], m[3]) for line in lines if (m := BANNER.match(line))}
        assert routes["StreamApi"][1] == "streaming" and routes["BufferApi"][1] == "buffered"
        assert any(line.startswith("  curl -N -X POST http://") for line in lines)
        streaming = next(
            url for url, mode in routes.values() if url.endswith("/run") and mode == "streaming"
        )
        buffered = routes["BufferApi"][0]
        compared = subprocess.run(
            [
                sys.executable,
                "-m",
                "bedrock_stream.cli",
                "compare",
                streaming,
                buffered,
                "-m",
                "hi",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert compared.returncode == 0, compared.stderr
        table = compared.stdout.splitlines()[-2:]
        assert all(" 200 " in row for row in table)
        # The app answers "hi" through Bedrock: both endpoints print the same text.
        _, first, second = re.split(r"^== \S+\n", compared.stdout, flags=re.M)
        assert first.strip() and second.startswith(first)
        assert _children(process.pid)  # function processes are running
        assert _interrupt(process, log) == 0, log.read_text()
        assert _children(process.pid) == []
        assert "not on loopback" not in log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def test_a_host_that_is_not_loopback_is_warned_about_before_the_banner(tmp_path: Path) -> None:
    log = tmp_path / "stack.log"
    process = _start("--host", "0.0.0.0", "--port", "0", "--speed", "0", log=log)
    try:
        assert any(line.startswith("Ctrl-C") for line in _banner(process))
        warning = log.read_text()
        assert "WARNING: listening on 0.0.0.0, not on loopback" in warning
        assert "The Host check against DNS" in warning
        assert _interrupt(process, log) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def test_a_port_in_use_is_named_in_a_clear_message() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _start("--port", str(port))
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"port {port} (REST API StreamApi) is in use" in stderr
    assert "Traceback" not in stderr


def test_a_bad_template_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources: [not, a, mapping]\n")
    assert main(["local", "-t", str(broken)]) == 2
    assert "a template needs a Resources mapping" in capsys.readouterr().err


def test_compare_reports_an_unreachable_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/Prod/ask"
    assert main(["compare", url, url]) == 1
    assert "Connection refused" in capsys.readouterr().err


ROOT = Path(__file__).parents[2]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_quick_start_demo_and_its_curl_lines_work_with_the_apps_key(tmp_path: Path) -> None:
    """``python3 tasks.py demo`` on the reference app as shipped: closed, and still working."""
    log = tmp_path / "demo.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "tasks.py", "demo", "--port", "0", "--speed", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Still serving"):
                break
        output = "\n".join(lines)
        assert re.search(r"^  API key ApiKey\s+x-api-key: [A-Za-z0-9]{40}$", output, re.M), output
        table = [line for line in lines if re.match(r"http://\S+/Prod/ask\s", line)]
        assert len(table) == 2 and all(" 200 " in row for row in table), output
        curls = [line.strip() for line in lines if line.startswith("  curl -N -X POST ")]
        curls = [
            line for line in curls if re.search(r"/Prod/ask ", line)
        ]  # chat, OpenAI: not {"message"}
        assert len(curls) == 2 and all("-H 'x-api-key: " in line for line in curls)
        for line in curls:
            done = subprocess.run(["sh", "-c", line + " -s -f"], capture_output=True, timeout=60)
            assert done.returncode == 0 and done.stdout, (line, done.stderr)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"Ctrl-C did not stop the demo:\n{log.read_text()}")
