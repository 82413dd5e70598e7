"""The cold path imports no standard-library or third-party module the code before issue 15 did not.

Project modules may move, split or be added; anything else a cold start imports costs time
in every new sandbox, so it is compared with the snapshot taken from the code before the
redesign (``tests/runtime/cold_path_snapshot.py``, run against that tree, wrote it). A module
the cold path no longer imports is a gain, not a failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cold_path_snapshot import SNAPSHOT, measure, version_key

SRC = Path(__file__).parents[2] / "src"


@pytest.fixture(scope="module")
def measured() -> dict[str, list[str]]:
    return measure(sys.executable, SRC)


@pytest.mark.parametrize(
    "path", ["python -m bedrock_stream.runtime", "from bedrock_stream import streaming_handler"]
)
def test_the_cold_path_imports_no_new_module(measured: dict[str, list[str]], path: str) -> None:
    snapshots = json.loads(SNAPSHOT.read_text())
    if version_key() not in snapshots:
        pytest.skip(f"no cold-path snapshot for Python {version_key()} in {SNAPSHOT.name}")
    added = sorted(set(measured[path]) - set(snapshots[version_key()][path]))
    assert not added, f"{path}: added {added}"


def test_the_runtime_loads_no_typing_before_the_handler(measured: dict[str, list[str]]) -> None:
    # typing costs about 3 ms to import; the runtime's own modules spell TYPE_CHECKING instead.
    assert "typing" not in measured["python -m bedrock_stream.runtime"]
