"""The pytest11 entry point: the fixtures load once, under the new module path and the old one."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from bedrock_stream.devtools import cli, pytest_plugin

PYPROJECT = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())

# Which registered plugins hold the fixtures, and that the fixture is the one the plugin defines.
INNER = """
from bedrock_stream.devtools import pytest_plugin

def test_fixtures(request, local_stack):
    plugins = request.config.pluginmanager.get_plugins()
    holders = sorted(p.__name__ for p in plugins if getattr(p, "local_stack", None) is not None)
    fixture = pytest_plugin.local_stack
    assert all(getattr(p, "local_stack", fixture) is fixture for p in plugins)
    assert callable(local_stack)
    print("HOLDERS", ",".join(holders))
"""


def _load(value: str) -> object:
    module, _, attribute = value.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


def test_pyproject_entry_points_name_the_developer_tools() -> None:
    assert _load(PYPROJECT["project"]["scripts"]["bedrock-stream"]) is cli.main
    entry = PYPROJECT["project"]["entry-points"]["pytest11"]["bedrock_stream"]
    assert _load(entry) is pytest_plugin
    (installed,) = importlib.metadata.entry_points(group="pytest11", name="bedrock_stream")
    assert installed.value == entry, "stale install: python3 -c 'import tasks; tasks.ensure_venv()'"


@pytest.mark.parametrize(
    ("autoload", "args", "holders"),
    [
        (True, [], "bedrock_stream.devtools.pytest_plugin"),
        (False, ["-p", "bedrock_stream.pytest_plugin"], "bedrock_stream.pytest_plugin"),
        (
            False,
            ["-p", "bedrock_stream.devtools.pytest_plugin"],
            "bedrock_stream.devtools.pytest_plugin",
        ),
        # An old conftest naming the alias beside the entry point: the same functions, no error.
        (
            True,
            ["-p", "bedrock_stream.pytest_plugin"],
            "bedrock_stream.devtools.pytest_plugin,bedrock_stream.pytest_plugin",
        ),
    ],
)
def test_the_fixtures_are_registered_from_one_module(
    tmp_path: Path, autoload: bool, args: list[str], holders: str
) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_DISABLE_PLUGIN_AUTOLOAD"}
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"HOLDERS {holders}\n" in done.stdout
