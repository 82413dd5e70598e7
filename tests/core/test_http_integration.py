"""The HTTP integration prelude: encoder, incremental decoder, validation, properties."""

from __future__ import annotations

import contextlib
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.http_integration import (
    CONTENT_TYPE,
    DELIMITER,
    MAX_METADATA_SIZE,
    PRELUDE_WINDOW,
    Prelude,
    PreludeDecoder,
    PreludeError,
)


def decode_all(data: bytes, splits: list[int] | None = None) -> tuple[Prelude | None, bytes]:
    """Feed ``data`` cut at ``splits`` and return the prelude and the joined body."""
    decoder = PreludeDecoder()
    cuts = sorted({0, len(data), *(splits or [])})
    events: list[Prelude | bytes] = []
    for start, end in itertools.pairwise(cuts):
        events += decoder.feed(data[start:end])
    decoder.close()
    preludes = [e for e in events if isinstance(e, Prelude)]
    assert len(preludes) <= 1
    assert not events or isinstance(events[0], Prelude), "the prelude comes first"
    return decoder.prelude, b"".join(e for e in events if isinstance(e, bytes))


# -- encoder --------------------------------------------------------------------------


def test_content_type_and_delimiter_constants() -> None:
    assert CONTENT_TYPE == "application/vnd.awslambda.http-integration-response"
    assert DELIMITER == b"\0" * 8


def test_encode_is_compact_utf8_json_then_eight_nuls() -> None:
    prelude = Prelude(
        status_code=201,
        headers={"Content-Type": "text/plain", "X-Note": 'café "q" 😀'},
        multi_value_headers={"X-Multi": ["a", "b"]},
        cookies=["c1=blue; Path=/"],
    )
    encoded = prelude.encode()
    assert encoded.endswith(DELIMITER)
    raw = encoded[: -len(DELIMITER)]
    assert b"\0" not in raw
    assert b'", "' not in raw and b'": ' not in raw, "compact separators"
    assert "café".encode() in raw, "UTF-8, not \\u escapes"
    assert json.loads(raw) == {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-Note": 'café "q" 😀'},
        "multiValueHeaders": {"X-Multi": ["a", "b"]},
        "cookies": ["c1=blue; Path=/"],
    }


def test_empty_maps_and_lists_are_omitted_except_headers() -> None:
    assert json.loads(Prelude().encode()[:-8]) == {"statusCode": 200, "headers": {}}


def test_set_cookie_headers_move_to_cookies() -> None:
    prelude = Prelude(
        headers={"set-cookie": "a=1"},
        multi_value_headers={"Set-Cookie": ["b=2", "c=3"]},
        cookies=["z=0"],
    )
    assert prelude.cookies == ("z=0", "a=1", "b=2", "c=3")
    assert prelude.headers == {}
    assert prelude.multi_value_headers == {}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status_code": 199}, "statusCode"),
        ({"status_code": 600}, "statusCode"),
        ({"status_code": 100}, "statusCode"),
        ({"status_code": True}, "statusCode"),
        ({"status_code": "200"}, "statusCode"),
        ({"headers": {"Bad Name": "x"}}, "headers"),
        ({"headers": {"": "x"}}, "headers"),
        ({"headers": {"X-A": "line\r\nInjected: yes"}}, "headers"),
        ({"headers": {"X-A": "nul\0"}}, "headers"),
        ({"headers": {"X-A": "bell\x07"}}, "headers"),
        ({"headers": {"X-A": 1}}, "headers"),
        ({"headers": {"X-A": "1", "x-a": "2"}}, "headers"),
        ({"headers": {"X-A": "1"}, "multi_value_headers": {"x-a": ["2"]}}, "headers"),
        ({"multi_value_headers": {"X-A": "not-a-list"}}, "multiValueHeaders"),
        ({"multi_value_headers": {"X-A": ["ok", "bad\n"]}}, "multiValueHeaders"),
        ({"cookies": ["a=1\r\nSet-Cookie: b=2"]}, "cookies"),
        ({"cookies": "a=1"}, "cookies"),
        ({"headers": {"X-Big": "v" * MAX_METADATA_SIZE}}, "metadata"),
    ],
)
def test_invalid_metadata_is_a_value_error_naming_the_field(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        Prelude(**kwargs)  # type: ignore[arg-type]


def test_tab_and_non_ascii_are_valid_in_values() -> None:
    assert Prelude(headers={"X-A": "a\tb ü"}).headers == {"X-A": "a\tb ü"}


# -- decoder --------------------------------------------------------------------------


def test_decoder_byte_by_byte_whole_and_with_trailing_body() -> None:
    data = Prelude(status_code=404, headers={"A": "b"}).encode() + b"body\0\0\0"
    whole = decode_all(data)
    by_byte = decode_all(data, list(range(len(data))))
    assert whole == by_byte
    assert whole[0] == Prelude(status_code=404, headers={"A": "b"})
    assert whole[1] == b"body\0\0\0"


def test_escaped_nul_in_metadata_does_not_end_the_prelude() -> None:
    metadata = json.dumps({"loc": "mare\u0000tranquillitatis", "statusCode": 202}).encode()
    assert b"\\u0000" in metadata
    prelude, body = decode_all(metadata + DELIMITER + b"ABC", [5, 12, 20])
    assert prelude is not None and prelude.status_code == 202
    assert body == b"ABC"


def test_nuls_after_the_delimiter_are_body() -> None:
    prelude, body = decode_all(b"{}" + b"\0" * 11 + b"x")
    assert prelude == Prelude()
    assert body == b"\0\0\0x"


def test_missing_keys_default_and_unknown_keys_are_ignored() -> None:
    prelude, _ = decode_all(b'{"extra": [1, 2]}' + DELIMITER)
    assert prelude == Prelude(status_code=200)


def test_multi_value_headers_win_over_headers_like_api_gateway() -> None:
    metadata = {
        "headers": {"X-A": "single", "X-B": "b"},
        "multiValueHeaders": {"x-a": ["m1", "m2"]},
    }
    prelude, _ = decode_all(json.dumps(metadata).encode() + DELIMITER)
    assert prelude == Prelude(headers={"X-B": "b"}, multi_value_headers={"x-a": ["m1", "m2"]})


def test_delimiter_ending_exactly_at_the_window_is_accepted() -> None:
    padding = PRELUDE_WINDOW - len(DELIMITER) - len(b'{"p":""}')
    metadata = b'{"p":"' + b"x" * padding + b'"}'
    prelude, body = decode_all(metadata + DELIMITER + b"tail")
    assert prelude == Prelude()
    assert body == b"tail"


def test_delimiter_past_the_window_is_an_error() -> None:
    padding = PRELUDE_WINDOW - len(DELIMITER) - len(b'{"p":""}') + 1
    data = b'{"p":"' + b"x" * padding + b'"}' + DELIMITER
    decoder = PreludeDecoder()
    with pytest.raises(PreludeError, match="16384"):
        decoder.feed(data)


def test_no_delimiter_in_window_fails_as_soon_as_the_window_is_full() -> None:
    decoder = PreludeDecoder()
    assert decoder.feed(b"{" + b" " * (PRELUDE_WINDOW - 2)) == []
    with pytest.raises(PreludeError):
        decoder.feed(b" ")
    with pytest.raises(PreludeError):
        decoder.feed(b"more")  # errors are sticky


@pytest.mark.parametrize(
    "metadata",
    [
        b"not json",
        b"[1, 2]",
        b'{"statusCode": 99}',
        b'{"statusCode": "200"}',
        b'{"headers": {"X": 1}}',
        b'{"headers": {"X": "a\\r\\nInjected: 1"}}',
        b'{"multiValueHeaders": {"X": "a"}}',
        b'{"cookies": "a=1"}',
        b"\xff\xfe",
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_invalid_metadata_is_a_prelude_error(metadata: bytes) -> None:
    with pytest.raises(PreludeError):
        PreludeDecoder().feed(metadata + DELIMITER)


def test_stream_ending_before_the_delimiter_is_an_error() -> None:
    decoder = PreludeDecoder()
    decoder.feed(b'{"statusCode":200}\0\0\0')
    with pytest.raises(PreludeError, match="ended"):
        decoder.close()


# -- properties -----------------------------------------------------------------------

header_names = st.from_regex(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}", fullmatch=True).filter(
    lambda name: name.lower() != "set-cookie"
)
field_values = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0\x7f").filter(
        lambda c: c == "\t" or ord(c) >= 0x20
    ),
    max_size=40,
)


@st.composite
def preludes(draw: st.DrawFn) -> Prelude:
    names = draw(st.lists(header_names, max_size=6, unique_by=str.lower))
    split = draw(st.integers(0, len(names)))
    return Prelude(
        status_code=draw(st.integers(200, 599)),
        headers={name: draw(field_values) for name in names[:split]},
        multi_value_headers={
            name: draw(st.lists(field_values, min_size=1, max_size=3)) for name in names[split:]
        },
        cookies=draw(st.lists(field_values, max_size=3)),
    )


@settings(max_examples=300)
@given(
    prelude=preludes(),
    body=st.binary(max_size=300),
    splits=st.lists(st.integers(0, 2000), max_size=8),
)
def test_encode_then_decode_round_trips_under_any_split(
    prelude: Prelude, body: bytes, splits: list[int]
) -> None:
    data = prelude.encode() + body
    decoded, decoded_body = decode_all(data, [s for s in splits if s < len(data)])
    assert decoded == prelude
    assert decoded_body == body


@given(extra=st.text(max_size=30), body=st.binary(max_size=50), cut=st.integers(0, 200))
def test_arbitrary_strings_in_unknown_keys_never_end_the_prelude(
    extra: str, body: bytes, cut: int
) -> None:
    metadata = json.dumps({"statusCode": 200, "note": extra + "\0" * 9}).encode()
    data = metadata + DELIMITER + body
    assert decode_all(data, [min(cut, len(data))]) == (Prelude(), body)


@given(data=st.binary(max_size=400), splits=st.lists(st.integers(0, 400), max_size=6))
def test_decoder_on_arbitrary_bytes_yields_or_raises_only_its_own_error(
    data: bytes, splits: list[int]
) -> None:
    with contextlib.suppress(PreludeError):
        decode_all(data, [s for s in splits if s < len(data)])


@given(
    status=st.integers(-1000, 2000),
    name=st.text(max_size=10),
    value=st.text(max_size=10),
)
def test_metadata_outside_the_rules_always_raises_value_error(
    status: int, name: str, value: str
) -> None:
    import re

    valid = (
        200 <= status <= 599
        and re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name) is not None
        and re.search(r"[\x00-\x08\x0a-\x1f\x7f]", value) is None
    )
    if valid:
        assert Prelude(status_code=status, headers={name: value}).status_code == status
    else:
        with pytest.raises(ValueError):
            Prelude(status_code=status, headers={name: value})
