"""The runtime primes the Bedrock layer at init, before any SnapStart hook, and never fails for it.

``bedrock_stream.bedrock.prime`` is a stand-in module here, put in ``sys.modules`` by the
handler's module, so that these tests see only the runtime's side: when it calls ``prime()``,
that a failure is logged and not fatal, and that a handler without the layer imports nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_env import runtime_env

from bedrock_stream.local.runtime_api import RuntimeAPIServer

USES_BEDROCK = """
import os
import sys
import types

from snapshot_restore_py import register_after_restore, register_before_snapshot

CALLS = []


def prime():
    CALLS.append("prime")
    if os.environ.get("PRIME_FAILS"):
        raise RuntimeError("no configuration")


layer = types.ModuleType("bedrock_stream.bedrock")
layer.prime = prime
sys.modules["bedrock_stream.bedrock"] = layer
register_before_snapshot(CALLS.append, "before snapshot")
register_after_restore(CALLS.append, "after restore")


def handler(event, context):
    return CALLS
"""

NO_BEDROCK = """
import sys


def handler(event, context):
    return sorted(name for name in sys.modules if name.startswith("bedrock_stream.bedrock"))
"""


@pytest.fixture
def api() -> Iterator[RuntimeAPIServer]:
    with RuntimeAPIServer() as server:
        yield server


def _run(api: RuntimeAPIServer, tmp_path: Path, handler: str, **extra: str) -> tuple[object, str]:
    """Start the runtime on ``handler``, invoke it once; return its answer and its output."""
    (tmp_path / "uses_bedrock.py").write_text(USES_BEDROCK)
    (tmp_path / "no_bedrock.py").write_text(NO_BEDROCK)
    env = runtime_env(api, tmp_path, _HANDLER=handler, **extra)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bedrock_stream.runtime", "--buffered"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        result = api.invoke({}).result(timeout=30)
    finally:
        proc.kill()
        output, _ = proc.communicate()
    return json.loads(result.body), output.decode()


def test_prime_runs_at_init_before_the_first_invocation(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    calls, _ = _run(api, tmp_path, "uses_bedrock.handler")
    assert calls == ["prime"]


def test_with_snapstart_prime_runs_before_the_before_snapshot_hooks(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    calls, _ = _run(
        api, tmp_path, "uses_bedrock.handler", AWS_LAMBDA_INITIALIZATION_TYPE="snap-start"
    )
    assert calls == ["prime", "before snapshot", "after restore"]


def test_a_failing_prime_is_logged_and_the_init_goes_on(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    calls, output = _run(api, tmp_path, "uses_bedrock.handler", PRIME_FAILS="1")
    assert calls == ["prime"]
    assert "prime() failed" in output and "no configuration" in output


def test_a_handler_without_the_bedrock_layer_imports_none_of_it(
    api: RuntimeAPIServer, tmp_path: Path
) -> None:
    modules, output = _run(api, tmp_path, "no_bedrock.handler")
    assert modules == []
    assert "prime" not in output
