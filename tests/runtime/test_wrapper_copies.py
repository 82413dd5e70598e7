"""Every committed exec wrapper is what ``bedrock-stream init-wrapper`` writes, and executable.

The wrapper's one source is :mod:`bedrock_stream.devtools.wrapper`. Copies are committed
where a deployment packages the directory (``sam build`` zips ``CodeUri`` with its modes);
each is found by its file name, so a new copy is checked the moment it is added.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bedrock_stream.devtools.cli import main
from bedrock_stream.devtools.wrapper import WRAPPER_NAME

ROOT = Path(__file__).parents[2]
KNOWN = {
    "docs/examples/apps/src",
    "docs/examples/local/src",
    "docs/examples/sdk/src",
    "examples/fastapi-app/src",
    "examples/sam-app/src",
    "tests/stack/app/src",
}


def _copies() -> list[Path]:
    """Every file named like the wrapper in the repository, hidden directories (.venv) aside."""
    found = []
    for directory, subdirectories, files in os.walk(ROOT):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        if WRAPPER_NAME in files:
            found.append(Path(directory, WRAPPER_NAME))
    return sorted(found)


COPIES = _copies()


def test_the_known_copies_are_found() -> None:
    assert {path.parent.relative_to(ROOT).as_posix() for path in COPIES} >= KNOWN


@pytest.mark.parametrize("copy", COPIES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_a_committed_wrapper_is_what_init_wrapper_writes(copy: Path, tmp_path: Path) -> None:
    assert main(["init-wrapper", str(tmp_path)]) == 0
    assert copy.read_bytes() == (tmp_path / WRAPPER_NAME).read_bytes(), (
        f"{copy} drifted: run bedrock-stream init-wrapper {copy.parent} --force"
    )
    if os.name == "posix":
        assert os.access(copy, os.X_OK), f"{copy} is not executable"


@pytest.mark.skipif(shutil.which("git") is None, reason="git records the committed mode")
def test_git_records_every_wrapper_as_executable() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--stage", "--", *(str(p.relative_to(ROOT)) for p in COPIES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    modes = {line.split("\t")[1]: line.split()[0] for line in listed}
    assert modes == dict.fromkeys((p.relative_to(ROOT).as_posix() for p in COPIES), "100755")
