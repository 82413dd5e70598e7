"""Lambda Managed Instances: ``AWS_LAMBDA_MAX_CONCURRENCY=N`` as a process tree of N workers.

The peer is the local Runtime API, which serves concurrent ``/next`` polls from several
processes. Overlap is proven with a gate, not a clock: each handler registers its invocation
in a directory and waits until N are there, which only happens if N run at once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from runtime_env import SRC, runtime_env

from bedrock_stream.local.http_exchange import Exchange
from bedrock_stream.local.runtime_api import InitError, ResponseStarted, Result, RuntimeAPIServer
from bedrock_stream.protocol import runtime_api as names

WAIT = 30  # a bound for what must happen, never a measure
PROVIDER = "_LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET"

APP = """
import json
import logging
import os
import random
import signal
import time
from pathlib import Path

from bedrock_stream import streaming_handler

ROOT = Path(os.environ["MC_DIR"])
(ROOT / f"init-{os.getpid()}").write_text("")
if os.environ.get("MC_FAIL_INIT") or (ROOT / "fail-init").exists():
    raise RuntimeError(f"init failed in {os.getpid()}")
if os.environ.get("MC_IGNORE_SIGTERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def gate(event, context):
    entries = ROOT / f"gate-{event['gate']}"
    entries.mkdir(exist_ok=True)
    (entries / context.aws_request_id).write_text("")
    bound = time.monotonic() + 30
    while len(list(entries.iterdir())) < event["n"]:
        if time.monotonic() > bound:
            raise TimeoutError(f"gate {event['gate']}: not all {event['n']} arrived")
        time.sleep(0.002)


@streaming_handler(http=False, content_type="application/octet-stream")
def stream(event, context):
    if "gate" in event:
        gate(event, context)
    if event.get("exit"):
        os._exit(7)
    data = random.Random(event["seed"]).randbytes(event["size"])
    yield f"{os.getpid()}\\n"
    if event.get("exit_mid"):  # once the invoker has seen the response begin
        bound = time.monotonic() + 30
        while not (ROOT / "die").exists() and time.monotonic() < bound:
            time.sleep(0.002)
        os._exit(8)
    for i in range(0, 64, 8):
        yield data[i : i + 8]  # tokens
    yield b""
    half = len(data) // 2
    yield data[64:half]  # bulk, past the sink's high-water mark
    if event.get("fail"):
        raise ValueError(f"slot {event['seed']} failed")
    yield data[half:]


@streaming_handler(http=False, content_type="application/octet-stream")
def drain(event, context):
    yield b"before "
    os.kill(os.getppid(), signal.SIGTERM)  # to the pool's parent, which forwards it
    hold = signal.getsignal(signal.SIGTERM).__self__  # the runtime's, holding it for us
    bound = time.monotonic() + 30
    while not hold.pending and time.monotonic() < bound:
        time.sleep(0.002)
    yield b"after" if hold.pending else b"never held"


def logs(event, context):
    print(f"print from {os.getpid()}")
    logging.getLogger("app").warning("warning from %s", os.getpid())
    return os.getpid()
"""


def _pattern(seed: int, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


class Tree:
    """A runtime started as ``python -m bedrock_stream.runtime`` with a pool of workers."""

    def __init__(
        self,
        api: RuntimeAPIServer,
        root: Path,
        handler: str,
        *,
        ignore_sigchld: bool = False,
        **env: str,
    ) -> None:
        self.api = api
        self.root = root
        (root / "app.py").write_text(APP)
        environ = runtime_env(api, root, MC_DIR=str(root), _HANDLER=handler, **env)
        self.log = (root / "out.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bedrock_stream.runtime"],
            cwd=root,
            env=environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            # An ignored SIGCHLD is inherited across exec, as from a careless parent process.
            preexec_fn=_ignore_sigchld if ignore_sigchld else None,
        )

    def inits(self, count: int) -> set[int]:
        """Wait until ``count`` workers have run their init; return their pids."""
        bound = time.monotonic() + WAIT
        while len(pids := self.init_pids()) < count:
            assert time.monotonic() < bound, f"{len(pids)} of {count} workers ran their init"
            assert self.proc.poll() is None, self.output()
            time.sleep(0.01)
        return pids

    def init_pids(self) -> set[int]:
        return {int(p.name.removeprefix("init-")) for p in self.root.glob("init-*")}

    def invoke_all(self, events: list[dict[str, Any]]) -> list[Result]:
        """Invoke all at once and read every stream while it is written."""
        invocations = [self.api.invoke(event) for event in events]
        with ThreadPoolExecutor(len(invocations)) as readers:
            return list(readers.map(lambda i: i.result(WAIT), invocations))

    def output(self) -> str:
        return (self.root / "out.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in self.init_pids():  # never leave a worker behind, whatever the test did
            try:
                if os.readlink(f"/proc/{pid}/cwd") == str(self.root):  # ours, not a reused pid
                    os.kill(pid, signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                pass
        self.log.close()


@pytest.fixture
def api() -> Iterator[RuntimeAPIServer]:
    with RuntimeAPIServer() as server:
        yield server


def _ignore_sigchld() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


@pytest.fixture
def start(api: RuntimeAPIServer, tmp_path: Path) -> Iterator[Any]:
    trees: list[Tree] = []

    def start(handler: str = "app.stream", *, ignore_sigchld: bool = False, **env: str) -> Tree:
        tree = Tree(api, tmp_path, handler, ignore_sigchld=ignore_sigchld, **env)
        trees.append(tree)
        return tree

    yield start
    for tree in trees:
        tree.stop()


def _body(result: Result) -> tuple[int, bytes]:
    pid, _, data = result.body.partition(b"\n")
    return int(pid), data


@pytest.mark.parametrize("n", [1, 4])
def test_n_streams_run_at_once_and_arrive_byte_exact_and_separate(start: Any, n: int) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY=str(n))
    workers = tree.inits(n)
    size = 300_000
    results = tree.invoke_all([{"gate": "a", "n": n, "seed": s, "size": size} for s in range(n)])
    pids = set()
    for seed, result in enumerate(results):
        assert (result.status, result.error_type) == ("success", None), result
        assert result.content_type == "application/octet-stream"
        pid, data = _body(result)
        assert data == _pattern(seed, size)
        pids.add(pid)
    assert pids == workers and len(pids) == n  # one invocation per worker, each its own process
    assert tree.proc.pid not in workers  # the parent never imports the handler
    assert os.listdir(f"/proc/{tree.proc.pid}/task") == [str(tree.proc.pid)]  # one thread
    assert tree.init_pids() == workers  # init ran once per worker, after the fork


def test_a_failure_mid_stream_in_one_slot_leaves_the_others_complete(start: Any) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY="3")
    tree.inits(3)
    size = 300_000
    events = [{"gate": "f", "n": 3, "seed": s, "size": size, "fail": s == 1} for s in range(3)]
    ok0, failed, ok2 = tree.invoke_all(events)
    for seed, result in ((0, ok0), (2, ok2)):
        assert result.status == "success" and _body(result)[1] == _pattern(seed, size)
    assert (failed.status, failed.error_type) == ("failure", "ValueError")
    assert _body(failed)[1] == _pattern(1, size)[: size // 2]
    assert failed.error_json()["errorMessage"] == "slot 1 failed"
    # The failing worker serves on: three more at once, all complete.
    again = tree.invoke_all([{"gate": "g", "n": 3, "seed": s, "size": 100} for s in range(3)])
    assert [r.status for r in again] == ["success"] * 3


def test_a_worker_that_dies_is_replaced_and_the_next_invocations_are_served(start: Any) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY="3")
    first = tree.inits(3)
    lost = tree.api.invoke({"exit": True, "seed": 0, "size": 1})  # its worker os._exit()s
    failed = lost.result(WAIT)  # answered by the parent, not left to its timeout
    assert (failed.status, failed.error_type) == ("failure", "Runtime.ExitError")
    assert failed.error_json()["errorMessage"] == (
        f"RequestId: {lost.request_id} Error: Runtime exited with error: exit status 7"
    )
    after = tree.inits(4)
    (replacement,) = after - first
    results = tree.invoke_all([{"gate": "r", "n": 3, "seed": s, "size": 1000} for s in range(3)])
    assert all(r.status == "success" for r in results)
    served = {_body(r)[0] for r in results}
    assert len(served) == 3 and replacement in served
    assert "runtime worker" in tree.output() and "exit status 7" in tree.output()


def test_a_pool_started_with_sigchld_ignored_still_reaps_and_replaces(start: Any) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY="2", ignore_sigchld=True)
    first = tree.inits(2)
    lost = tree.api.invoke({"exit": True, "seed": 0, "size": 1})
    assert lost.result(WAIT).error_type == "Runtime.ExitError"
    assert len(tree.inits(3) - first) == 1  # replaced: the parent saw its worker die
    assert tree.proc.poll() is None, tree.output()


def test_a_worker_that_dies_mid_stream_leaves_a_cut_stream(start: Any) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY="2")
    first = tree.inits(2)
    invocation = tree.api.invoke({"exit_mid": True, "seed": 0, "size": 10})
    while not isinstance(invocation.next_event(WAIT), ResponseStarted):
        pass
    (tree.root / "die").write_text("")  # the stream has begun: now the worker dies
    cut, cut_id = invocation.result(WAIT), invocation.request_id
    assert (cut.status, cut.error_type) == ("failure", "Runtime.TruncatedResponse")
    assert cut.body.endswith(b"\n") and int(cut.body) in first  # the pid line, then nothing
    tree.inits(3)  # the replacement: forked once the parent tried to report the invocation
    assert f"invocation {cut_id} lost with its worker" in tree.output()
    assert "answered 403" in tree.output()  # its stream had begun: the cut body tells it
    results = tree.invoke_all([{"gate": "m", "n": 2, "seed": s, "size": 10} for s in range(2)])
    assert [r.status for r in results] == ["success"] * 2


def test_replacements_are_capped_then_the_pool_ends_with_its_last_worker(start: Any) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY="1")
    tree.inits(1)
    tree.api.invoke({"exit": True, "seed": 0, "size": 1})
    tree.inits(2)  # one replacement allowed in the window (N = 1)
    tree.api.invoke({"exit": True, "seed": 0, "size": 1})
    assert tree.proc.wait(WAIT) == 1
    assert len(tree.init_pids()) == 2
    out = tree.output()
    assert "1 were replaced in the last 60 s" in out and "no runtime worker left" in out


class RapidInitErrors(RuntimeAPIServer):
    """RAPID's rule: the first ``/init/error`` is accepted, any later one refused 403."""

    def __init__(self) -> None:
        super().__init__()
        self.posts = 0
        self._posts_lock = threading.Lock()

    def _route(self, exchange: Exchange) -> None:
        if exchange.method == "POST" and exchange.target == names.INIT_ERROR:
            with self._posts_lock:
                self.posts += 1
                first = self.posts == 1
            if not first:
                exchange.read_body()
                exchange.respond_json(
                    403, {"errorMessage": "State transition failed", "errorType": "InvalidState"}
                )
                return
        super()._route(exchange)


def test_init_failure_in_every_worker_posts_one_init_error_and_exits_1(tmp_path: Path) -> None:
    with RapidInitErrors() as api:
        tree = Tree(api, tmp_path, "app.stream", AWS_LAMBDA_MAX_CONCURRENCY="3", MC_FAIL_INIT="1")
        try:
            assert tree.proc.wait(WAIT) == 1
            error = api.init_error(timeout=0)
            with pytest.raises(TimeoutError):
                api.init_error(timeout=0)
        finally:
            tree.stop()
    assert api.posts == 3  # every worker reported, as awslambdaric's do
    assert len(tree.init_pids()) == 3  # and none was replaced
    assert error.error_type == "RuntimeError"
    assert json.loads(error.body)["errorMessage"].startswith("init failed in ")
    out = tree.output()
    assert out.count("the init error was not taken (403)") == 2
    assert "FATAL: /init/error" not in out
    assert out.count("failed its init (exit status 1)") == 3


@pytest.mark.parametrize(
    ("sig", "ignore"),
    [(signal.SIGTERM, False), (signal.SIGTERM, True), (signal.SIGINT, False)],
    ids=["sigterm", "sigterm-worker-ignores-it", "sigint"],
)
def test_a_stop_signal_ends_every_process(start: Any, sig: signal.Signals, ignore: bool) -> None:
    env = {"MC_IGNORE_SIGTERM": "1"} if ignore else {}
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY="3", **env)
    workers = tree.inits(3)
    assert tree.invoke_all([{"seed": 0, "size": 10}])[0].status == "success"  # serving
    tree.proc.send_signal(sig)  # to the parent only: it forwards SIGTERM
    assert tree.proc.wait(WAIT) == 0
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_worker_told_to_stop_mid_stream_finishes_it_first(start: Any) -> None:
    tree = start("app.drain", AWS_LAMBDA_MAX_CONCURRENCY="2")
    tree.inits(2)
    (result,) = tree.invoke_all([{}])
    assert (result.status, result.body) == ("success", b"before after")
    assert names.ERROR_TYPE not in result.trailers
    assert tree.proc.wait(WAIT) == 0
    assert "SIGTERM: ending" in tree.output()


def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended (a zombie nobody reaped yet counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_workers_die_with_a_killed_parent(start: Any) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY="2")
    workers = tree.inits(2)
    tree.proc.kill()  # no SIGTERM to forward: PR_SET_PDEATHSIG ends the workers
    tree.proc.wait(WAIT)
    bound = time.monotonic() + WAIT
    while not all(_gone(pid) for pid in workers):
        assert time.monotonic() < bound, "a worker outlived its parent"
        time.sleep(0.01)


class LogProvider:
    """A Unix socket server that keeps each connection's bytes, as Lambda's log provider."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="mc", dir="/tmp")  # a short path: sun_path is small
        self.path = os.path.join(self.dir, "logs.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(64)
        self.connections: list[bytearray] = []
        self.readers: list[threading.Thread] = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            data = bytearray()
            self.connections.append(data)
            reader = threading.Thread(target=self._read, args=(conn, data), daemon=True)
            self.readers.append(reader)
            reader.start()

    def wait_for(self, count: int) -> None:
        """Wait until ``count`` connections were accepted (they may wait in the backlog)."""
        bound = time.monotonic() + WAIT
        while len(self.readers) < count:
            assert time.monotonic() < bound, f"{len(self.readers)} of {count} connections"
            time.sleep(0.01)

    @staticmethod
    def _read(conn: socket.socket, data: bytearray) -> None:
        with conn:
            while chunk := conn.recv(65536):
                data += chunk

    def close(self) -> None:
        self.server.close()
        for reader in self.readers:
            reader.join(WAIT)
        os.unlink(self.path)
        os.rmdir(self.dir)


def test_worker_output_goes_to_the_log_provider_socket(start: Any) -> None:
    provider = LogProvider()
    try:
        tree = start(
            "app.logs",
            AWS_LAMBDA_MAX_CONCURRENCY="2",
            AWS_LAMBDA_LOG_FORMAT="JSON",
            _LAMBDA_TELEMETRY_LOG_FD_PROVIDER_SOCKET=provider.path,
        )
        tree.inits(2)
        results = tree.invoke_all([{}, {}])
        provider.wait_for(4)
        tree.proc.send_signal(signal.SIGTERM)
        assert tree.proc.wait(WAIT) == 0  # the workers are gone: every connection at its end
    finally:
        provider.close()
    assert len(provider.connections) == 4  # stdout and stderr of each worker
    lines = [line for c in provider.connections for line in bytes(c).decode().splitlines()]
    for result in results:
        pid = json.loads(result.body)
        assert f"print from {pid}" in lines
        records = [json.loads(line) for line in lines if line.startswith("{")]
        record = next(r for r in records if r.get("message") == f"warning from {pid}")
        assert record["level"] == "WARNING" and record["logger"] == "app"
        assert len(record["requestId"]) == 36
    assert "print from" not in tree.output()  # nothing of the workers' on the parent's stdout


@pytest.mark.parametrize(
    ("value", "extra", "error_type"),
    [
        ("0", {}, "Runtime.InvalidMaxConcurrency"),
        ("x", {}, "Runtime.InvalidMaxConcurrency"),
        ("-2", {}, "Runtime.InvalidMaxConcurrency"),
        (" 4", {}, "Runtime.InvalidMaxConcurrency"),
        ("4", {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}, "Runtime.UnsupportedConfiguration"),
    ],
)
def test_a_bad_max_concurrency_is_an_init_error(
    api: RuntimeAPIServer, start: Any, value: str, extra: dict[str, str], error_type: str
) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY=value, **extra)
    assert tree.proc.wait(WAIT) == 1
    error: InitError = api.init_error(timeout=0)
    assert error.error_type == error_type
    message = json.loads(error.body)["errorMessage"]
    assert message.startswith(f"AWS_LAMBDA_MAX_CONCURRENCY={value!r}: expected a positive") or (
        error_type == "Runtime.UnsupportedConfiguration" and "SnapStart" in message
    )
    assert tree.init_pids() == set()  # refused before any fork or handler import


def test_a_worker_tries_a_failed_next_five_times_then_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bedrock_stream.runtime.client import RuntimeAPI
    from bedrock_stream.runtime.loop import Runtime

    with socket.socket() as probe:  # a port nobody listens on: every /next is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runtime = Runtime(RuntimeAPI(f"127.0.0.1:{port}"), lambda e, c: None, next_attempts=5)
    with pytest.raises(SystemExit) as exit_info:
        runtime.serve_forever()
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    waits = [line.rsplit(" in ", 1)[1] for line in out.splitlines() if "trying /next again" in line]
    assert waits == ["0.1 s", "0.2 s", "0.4 s", "0.8 s"]
    assert out.count("FATAL: GET /2018-06-01/runtime/invocation/next") == 1


def test_an_unreachable_log_provider_socket_leaves_output_on_stdout(
    start: Any, tmp_path: Path
) -> None:
    missing = str(tmp_path / "no.sock")
    tree = start("app.logs", AWS_LAMBDA_MAX_CONCURRENCY="1", **{PROVIDER: missing})
    tree.inits(1)
    (result,) = tree.invoke_all([{}])
    tree.stop()
    out = tree.output()
    assert f"WARNING: {PROVIDER}={missing}: " in out and "logging to stdout" in out
    assert f"print from {json.loads(result.body)}" in out


FLAPPING = """
import os, sys, time
from bedrock_stream.runtime import workers

workers.RESPAWN_WINDOW = 0.3  # the cap's window, shortened so that it moves on in the test


def target(worker):
    worker.ready()
    with open(sys.argv[1], "a") as starts:
        starts.write(f"{worker.slot}\\n")
    if worker.slot == 0:
        time.sleep(120)  # one worker stays, so the pool lives on
    os._exit(7)  # the other dies as soon as it is up, again and again


workers.run_pool(2, target)
"""


def test_past_the_cap_the_pool_refills_its_slot_once_the_window_moves_on(tmp_path: Path) -> None:
    starts = tmp_path / "starts"
    environ = {**os.environ, "PYTHONPATH": SRC}
    pool = subprocess.Popen([sys.executable, "-c", FLAPPING, str(starts)], env=environ)
    try:
        bound = time.monotonic() + WAIT
        # Without the refill, slot 1 starts 3 times (the first, then the cap's 2) and no more.
        while (starts.read_text().split() if starts.exists() else []).count("1") < 5:
            assert time.monotonic() < bound, starts.read_text() if starts.exists() else ""
            assert pool.poll() is None
            time.sleep(0.05)
    finally:
        pool.send_signal(signal.SIGTERM)
        assert pool.wait(WAIT) == 0


def test_a_replacement_that_fails_its_init_is_retried_and_the_pool_serves_on(start: Any) -> None:
    tree = start(AWS_LAMBDA_MAX_CONCURRENCY="2")
    tree.inits(2)
    (tree.root / "fail-init").write_text("")  # from now on, every init fails
    lost = tree.api.invoke({"exit": True, "seed": 0, "size": 1})
    assert lost.result(WAIT).error_type == "Runtime.ExitError"
    tree.inits(4)  # its replacement failed its init, and was replaced once more (the cap: 2)
    assert "a replacement, failed its init" in tree.output()
    served = tree.api.invoke({"seed": 1, "size": 100}).result(WAIT)
    assert served.status == "success"  # the healthy worker serves on
    assert tree.proc.poll() is None
