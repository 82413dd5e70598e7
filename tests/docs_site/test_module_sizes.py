"""One concept per module: no module in src/ grows past 400 lines (docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).parents[2] / "src"
LIMIT = 400


def test_no_module_is_over_the_limit() -> None:
    sizes = {path: len(path.read_text().splitlines()) for path in SRC.rglob("*.py")}
    over = {str(path.relative_to(SRC)): n for path, n in sizes.items() if n > LIMIT}
    assert len(sizes) > 100  # the whole package was read
    assert over == {}, f"split these by concept: {over}"
