"""Every model family has its row in every per-family table, on the client's side."""

from __future__ import annotations

from bedrock_stream.bedrock.families import _PREFIXES, FAMILIES
from bedrock_stream.bedrock.family import CODECS


def test_the_client_table_covers_every_family_once() -> None:
    assert list(CODECS) == list(FAMILIES)


def test_every_family_resolves_from_its_own_prefixes() -> None:
    assert {family for _, family in _PREFIXES} == set(FAMILIES)
    prefixes = [prefix for prefix, _ in _PREFIXES]
    assert len(prefixes) == len(set(prefixes))
