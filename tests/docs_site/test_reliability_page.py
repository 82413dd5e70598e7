"""The faults and hostile-input page names real tests, and lists every hostile-input test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "reliability.md"
REFERENCE = re.compile(r"`(?P<file>tests/[\w/]+\.py)::(?P<name>test_\w+)`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test_")
    }


def _references() -> list[tuple[str, str]]:
    return [(m["file"], m["name"]) for m in REFERENCE.finditer(PAGE.read_text())]


def test_every_test_the_page_names_exists() -> None:
    references = _references()
    assert len(references) > 40
    missing = [
        f"{file}::{name}"
        for file, name in references
        if not (ROOT / file).is_file() or name not in _tests_in(ROOT / file)
    ]
    assert missing == []


def test_every_hostile_input_test_is_on_the_page() -> None:
    named = set(_references())
    for path in sorted((ROOT / "tests" / "hostile").glob("test_*.py")):
        file = str(path.relative_to(ROOT))
        unlisted = sorted(name for name in _tests_in(path) if (file, name) not in named)
        assert unlisted == [], f"{file}: add these to {PAGE.name}"


def test_every_row_names_the_test_that_shows_it() -> None:
    lines = PAGE.read_text().splitlines()
    body = [
        line
        for line, below in zip(lines, [*lines[1:], ""], strict=True)
        if line.startswith("| ") and not below.startswith("|---")  # not a header row
    ]
    assert len(body) > 40
    for row in body:
        last = row.rstrip(" |").rsplit("|", 1)[-1]
        assert REFERENCE.search(last) or "`.ci/run`" in last, row
