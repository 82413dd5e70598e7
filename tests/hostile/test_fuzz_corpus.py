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


def test_the_eventstream_corpus_meets_every_outcome_of_both_decoders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each botocore failure in the target's ERRORS table, each of our error classes, and a
    clean decode: the corpus keeps a seed for every one, so no row is left unreplayed."""
    monkeypatch.syspath_prepend(str(FUZZ))
    target = importlib.import_module("eventstream_decoder")
    theirs, ours = set(), set()
    for case in (FUZZ / "corpus" / "eventstream_decoder").iterdir():
        pieces = target.pieces(case.read_bytes())
        theirs.add(type(target.botocores(pieces)[1]))
        ours.add(type(target.ours(pieces)[1]))
    assert theirs >= {*target.ERRORS, type(None)}
    every_class = {c for classes in target.ERRORS.values() for c in classes}
    assert ours >= {*every_class, *target.STRICTER, type(None)}
