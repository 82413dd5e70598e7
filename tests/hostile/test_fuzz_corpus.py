"""The atheris fuzz targets in fuzz/ replay their corpus, findings included, in every run.

Coverage-guided fuzzing is optional (``python fuzz/run.py TARGET``, see fuzz/run.py); this
keeps each target importable and its invariants true on the inputs it has found, without
atheris.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

FUZZ = Path(__file__).parents[2] / "fuzz"
CASES = sorted((FUZZ / "corpus").glob("*/*"))


def test_every_target_has_a_corpus() -> None:
    targets = {p.stem for p in FUZZ.glob("*.py")} - {"run"}
    assert targets == {p.name for p in (FUZZ / "corpus").iterdir()}


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_target_holds_on_its_corpus(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FUZZ))
    target = importlib.import_module(case.parent.name)
    target.test_one_input(case.read_bytes())  # asserts the target's invariants
