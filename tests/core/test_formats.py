"""Server-Sent Events and NDJSON encoders, checked against independent decoders."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream import ndjson, sse


def parse_sse(stream: str) -> list[dict[str, Any]]:
    """A decoder written from the WHATWG 'event stream interpretation' algorithm."""
    events: list[dict[str, Any]] = []
    data: list[str] = []
    fields: dict[str, Any] = {}
    for line in re.split(r"\r\n|\r|\n", stream):
        if line == "":
            if data or fields:
                events.append({"data": "\n".join(data), **fields})
            data, fields = [], {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in ("event", "id"):
            fields[name] = value
        elif name == "retry" and value.isdigit():
            fields["retry"] = int(value)
    return events


single_line = st.text(st.characters(blacklist_characters="\r\n\0", blacklist_categories=("Cs",)))


@given(
    data=st.text(st.characters(blacklist_categories=("Cs",))),
    event=st.none() | single_line,
    id=st.none() | single_line,
    retry=st.none() | st.integers(0, 10**9),
)
def test_sse_event_round_trips_through_a_spec_decoder(
    data: str, event: str | None, id: str | None, retry: int | None
) -> None:
    encoded = sse.encode_event(data, event=event, id=id, retry=retry)
    assert encoded.endswith(b"\n\n")
    (parsed,) = parse_sse(encoded.decode())
    assert parsed["data"] == re.sub(r"\r\n|\r", "\n", data)
    assert parsed.get("event") == event
    assert parsed.get("id") == id
    assert parsed.get("retry") == retry


@given(text=st.text(st.characters(blacklist_categories=("Cs",))))
def test_sse_comments_are_ignored_by_a_spec_decoder(text: str) -> None:
    assert parse_sse(sse.comment(text).decode() + "\n") == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"event": "a\nb"}, "event"),
        ({"id": "a\rb"}, "id"),
        ({"id": "a\0"}, "id"),
        ({"retry": -1}, "retry"),
    ],
)
def test_sse_invalid_fields(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        sse.encode_event("x", **kwargs)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(values=st.lists(json_values, max_size=5))
def test_ndjson_lines_round_trip(values: list[Any]) -> None:
    stream = b"".join(ndjson.encode_line(v) for v in values)
    lines = stream.split(b"\n")
    assert lines[-1] == b""
    assert [json.loads(line) for line in lines[:-1]] == values


def test_ndjson_rejects_what_json_cannot_hold() -> None:
    with pytest.raises(ValueError):
        ndjson.encode_line(float("nan"))
    with pytest.raises(TypeError):
        ndjson.encode_line(object())
