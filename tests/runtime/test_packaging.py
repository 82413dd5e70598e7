"""Running it in AWS: the exec wrapper (zip packages) and the container entry point.

Lambda's own bootstrap and base image are not available here; each test reproduces
the step of the chain that matters with small stand-in scripts in a temporary
directory and checks that the real runtime then serves an invocation.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.devtools.cli import main
from bedrock_stream.devtools.wrapper import wrapper_script, write_wrapper
from bedrock_stream.local.runtime_api import RuntimeAPIServer
from bedrock_stream.local.sandbox_environment import MANAGED_BOOTSTRAP

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples" / "runtime"
SRC = Path(__file__).parents[2] / "src"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="shell scripts")


@pytest.fixture
def api() -> Any:
    with RuntimeAPIServer() as server:
        yield server


def _env(api: RuntimeAPIServer, task_root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "_HANDLER"))}
    env.pop("PYTHONPATH", None)
    env.update(
        AWS_LAMBDA_RUNTIME_API=api.address,
        LAMBDA_TASK_ROOT=str(task_root),
        **extra,
    )
    return env


def _task_root(tmp_path: Path) -> Path:
    """A deployment package: the app, bedrock_stream itself (as pip -t puts it), the wrapper."""
    root = tmp_path / "task"
    root.mkdir()
    shutil.copy(EXAMPLES / "app.py", root / "app.py")
    shutil.copytree(
        SRC / "bedrock_stream",
        root / "bedrock_stream",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return root


def _start_managed(
    api: RuntimeAPIServer, tmp_path: Path, task_root: Path, wrapper: Path, python: str | None = None
) -> subprocess.Popen[bytes]:
    """Start ``task_root`` the way the managed bootstrap does, through ``wrapper``."""
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_text(MANAGED_BOOTSTRAP)
    bootstrap.chmod(0o755)
    env = _env(api, task_root, AWS_LAMBDA_EXEC_WRAPPER=str(wrapper), _HANDLER="app.handler")
    command = [str(bootstrap), python or sys.executable, "-m", "awslambdaric", "app.handler"]
    return subprocess.Popen(
        command, cwd=task_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _serve_one(api: RuntimeAPIServer, proc: subprocess.Popen[bytes]) -> None:
    try:
        got = api.invoke({"httpMethod": "GET", "requestContext": {}, "headers": {}}).result(
            timeout=30
        )
    finally:
        proc.kill()
        proc.communicate()
    assert got.status == "success"
    assert got.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert got.body.endswith(b"\0" * 8 + b"Hello, world")


def test_init_wrapper_writes_an_executable_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init-wrapper", str(tmp_path)]) == 0
    path = tmp_path / "bedrock-stream"
    assert path.stat().st_mode & stat.S_IXUSR and path.stat().st_mode & stat.S_IXOTH
    assert "AWS_LAMBDA_EXEC_WRAPPER: /var/task/bedrock-stream" in capsys.readouterr().out
    assert main(["init-wrapper", str(tmp_path)]) == 0  # same content: fine
    path.write_text("#!/bin/sh\n")
    assert main(["init-wrapper", str(tmp_path)]) == 1  # someone else's file: refused
    assert main(["init-wrapper", str(tmp_path), "--force"]) == 0


def test_managed_bootstrap_execs_the_wrapper_which_starts_the_streaming_runtime(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    root = _task_root(tmp_path)
    wrapper = write_wrapper(root)
    _serve_one(api, _start_managed(api, tmp_path, root, wrapper))


def test_wrapper_survives_zip_packaging_from_the_source_directory(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    """The wrapper lives in CodeUri, so the artifact zip carries its mode (unlike a wheel's)."""
    root = _task_root(tmp_path)
    write_wrapper(root)
    artifact = tmp_path / "artifact.zip"
    with zipfile.ZipFile(artifact, "w") as zf:
        for path in sorted(root.rglob("*")):
            zf.write(path, path.relative_to(root))  # records st_mode, as zip tools do
    unpacked = tmp_path / "var-task"
    with zipfile.ZipFile(artifact) as zf:
        for info in zf.infolist():
            zf.extract(info, unpacked)
            mode = info.external_attr >> 16
            if mode:
                (unpacked / info.filename).chmod(stat.S_IMODE(mode))  # Lambda keeps modes
    wrapper = unpacked / "bedrock-stream"
    assert os.access(wrapper, os.X_OK)
    _serve_one(api, _start_managed(api, tmp_path, unpacked, wrapper))


def test_a_script_inside_a_wheel_loses_its_execute_bit(tmp_path: Path) -> None:
    """Why the wrapper is not shipped in the package: zipfile.extractall drops file modes."""
    script = tmp_path / "wrapper"
    script.write_text(wrapper_script())
    script.chmod(0o755)
    wheel = tmp_path / "pkg.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.write(script, "bedrock_stream/wrapper")
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    assert not os.access(tmp_path / "site" / "bedrock_stream" / "wrapper", os.X_OK)


def test_wrapper_chains_to_another_wrapper(api: RuntimeAPIServer, tmp_path: Path) -> None:
    root = _task_root(tmp_path)
    log = tmp_path / "next.log"
    other = tmp_path / "otel-instrument"
    other.write_text(f'#!/bin/sh\necho "$@" > {log}\nexec "$@"\n')
    other.chmod(0o755)
    wrapper = write_wrapper(root, then=str(other))
    proc = subprocess.Popen(
        [str(wrapper), sys.executable, "-m", "awslambdaric", "app.handler"],
        cwd=root,
        env=_env(api, root, _HANDLER="app.handler"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _serve_one(api, proc)
    assert log.read_text().split() == [sys.executable, "-m", "bedrock_stream.runtime"]


def test_container_entrypoint_chain(api: RuntimeAPIServer, tmp_path: Path) -> None:
    """ENTRYPOINT docs/examples/runtime/entrypoint.sh, CMD app.handler, in a stand-in image."""
    root = _task_root(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    rie_log = tmp_path / "rie.log"
    rie = bin_dir / "aws-lambda-rie"  # stands in for the emulator: points the runtime at ours
    rie.write_text(
        f'#!/bin/sh\necho "$@" > {rie_log}\nAWS_LAMBDA_RUNTIME_API={api.address} exec "$@"\n'
    )
    rie.chmod(0o755)
    entrypoint = EXAMPLES / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    assert 'ENTRYPOINT ["/bedrock-stream-entrypoint.sh"]' in (EXAMPLES / "Dockerfile").read_text()
    for deployed in (True, False):
        env = _env(api, root, PATH=f"{bin_dir}:{os.environ['PATH']}")
        if not deployed:
            del env["AWS_LAMBDA_RUNTIME_API"]
        proc = subprocess.Popen(
            [str(entrypoint), "app.handler"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        _serve_one(api, proc)
    assert rie_log.read_text().split() == ["python3", "-m", "bedrock_stream.runtime", "app.handler"]


def test_docs_local_api_example(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    from bedrock_stream.local.runtime_api import BodyChunk, Done, ResponseStarted

    monkeypatch.setenv("PYTHONPATH", str(SRC))
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(EXAMPLES))
    stream_once = runpy.run_path(str(EXAMPLES / "local_api.py"))["stream_once"]
    events = stream_once([sys.executable, "-m", "bedrock_stream.runtime", "app.handler"], {})
    assert isinstance(events[0], ResponseStarted)
    assert b"".join(e.data for e in events if isinstance(e, BodyChunk)) == b"Hello, world"
    assert events[-1] == Done("success")


@pytest.mark.parametrize("force", [False, True])
def test_init_wrapper_refuses_a_symlink_at_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], force: bool
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    victim.chmod(0o600)
    for target in (victim, tmp_path / "nowhere"):
        code = tmp_path / f"code-{target.name}"
        code.mkdir()
        link = code / "bedrock-stream"
        link.symlink_to(target)
        assert main(["init-wrapper", str(code), *(["--force"] if force else [])]) == 1
        err = capsys.readouterr().err
        assert str(link) in err and "symbolic link" in err
        assert link.is_symlink()
    assert victim.read_text() == "keep me\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o600
    assert not (tmp_path / "nowhere").exists()


def test_init_wrapper_replaces_a_symlink_raced_in_instead_of_following_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link made after the check (here: when the text is ready) is replaced, not written."""
    from bedrock_stream.devtools import wrapper

    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    victim.chmod(0o600)
    path = tmp_path / "bedrock-stream"
    real = wrapper.wrapper_script

    def racing(then: str | None = None) -> str:
        if not path.is_symlink():
            path.symlink_to(victim)
        return real(then)

    monkeypatch.setattr(wrapper, "wrapper_script", racing)
    write_wrapper(tmp_path, force=True)
    assert not path.is_symlink() and path.read_text() == real()
    assert os.access(path, os.X_OK)
    assert victim.read_text() == "keep me\n"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o600
