"""Where the suite's Node.js peers live: ``tests/node``, installed by ``.ci/run`` (``npm ci``).

A test that needs one calls :func:`node_package`, which skips with the command that installs
it when Node.js or the package is missing (under CI a skip fails the run).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

NODE_PROJECT = Path(__file__).parent / "node"
NODE_MODULES = NODE_PROJECT / "node_modules"


def node_package(name: str) -> Path:
    """Return the installed directory of npm package ``name``, or skip the test saying why."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed")
    path = NODE_MODULES / name
    if not (path / "package.json").exists():
        pytest.skip(f"npm package {name} is missing: npm ci --prefix {NODE_PROJECT}")
    return path
