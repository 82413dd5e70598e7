"""Environment-backed settings: precedence, parsing, and the documented table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bedrock_stream import settings

DOCS = Path(__file__).parents[2] / "docs" / "settings.md"


def test_argument_beats_variable_beats_default() -> None:
    setting = settings.HEARTBEAT
    assert setting.resolve(None, {}) == 0.0
    assert setting.resolve(None, {"BEDROCK_STREAM_HEARTBEAT": "15"}) == 15.0
    assert setting.resolve(2.5, {"BEDROCK_STREAM_HEARTBEAT": "15"}) == 2.5
    assert setting.resolve(None, {"BEDROCK_STREAM_HEARTBEAT": "  "}) == 0.0


def test_a_bad_variable_names_itself() -> None:
    with pytest.raises(ValueError, match="BEDROCK_STREAM_HEARTBEAT"):
        settings.HEARTBEAT.resolve(None, {"BEDROCK_STREAM_HEARTBEAT": "-3"})


@pytest.mark.parametrize(("text", "value"), [("1", True), ("TRUE", True), ("off", False)])
def test_parse_bool(text: str, value: bool) -> None:
    assert settings.parse_bool(text) is value


def test_parse_bool_rejects_other_words() -> None:
    with pytest.raises(ValueError):
        settings.parse_bool("maybe")


def test_every_setting_is_in_the_docs_table_and_nothing_else() -> None:
    documented = set(re.findall(r"^\| `(BEDROCK_STREAM_[A-Z0-9_]+)` \|", DOCS.read_text(), re.M))
    assert documented == {s.env for s in settings.SETTINGS}
    assert all(s.env.startswith("BEDROCK_STREAM_") for s in settings.SETTINGS)
    assert len({s.env for s in settings.SETTINGS}) == len(settings.SETTINGS)
