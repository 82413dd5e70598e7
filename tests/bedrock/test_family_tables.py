"""Every model family has its row in every per-family table, the client's and the emulator's."""

from __future__ import annotations

import dataclasses

from bedrock_stream.bedrock.families import _PREFIXES, FAMILIES
from bedrock_stream.bedrock.family import CODECS
from bedrock_stream.local.bedrock.family import FAMILIES as EMULATED
from bedrock_stream.local.bedrock.family.base import Profile

NOT_STREAMING = {"ai21-jurassic"}
"""Families whose models Bedrock does not stream (their row has no ``invoke_chunks``)."""


def test_the_client_table_covers_every_family_once() -> None:
    assert list(CODECS) == list(FAMILIES)


def test_the_emulator_table_covers_every_family_once() -> None:
    assert list(EMULATED) == list(FAMILIES)


def test_every_family_resolves_from_its_own_prefixes() -> None:
    assert {family for _, family in _PREFIXES} == set(FAMILIES)
    prefixes = [prefix for prefix, _ in _PREFIXES]
    assert len(prefixes) == len(set(prefixes))


def test_every_client_row_has_all_its_fields() -> None:
    for family, codec in CODECS.items():
        assert codec.prefixes and all(codec.prefixes), family
        for field in dataclasses.fields(codec):
            value = getattr(codec, field.name)
            assert value is not None, (family, field.name)
            if field.name != "prefixes":
                assert callable(value), (family, field.name)


def test_every_emulator_row_has_all_its_fields() -> None:
    for family, row in EMULATED.items():
        for field in dataclasses.fields(row):
            if field.name == "invoke_chunks" and family in NOT_STREAMING:
                assert row.invoke_chunks is None, family
                continue
            assert getattr(row, field.name) is not None, (family, field.name)
        assert callable(row.invoke_body) and callable(row.validate), family
        assert row.invoke_chunks is None or callable(row.invoke_chunks), family
        assert isinstance(row.profile, Profile), family
        assert row.converse_max_tokens > 0, family
