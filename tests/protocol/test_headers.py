"""Header lookup: names in any case, repeated fields joined, checked against a reference."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.protocol.headers import header, header_values, joined_headers

NAMES = st.sampled_from(["Content-Type", "content-type", "CONTENT-TYPE", "X-Id", "x-id", "Host"])
FIELDS = st.lists(st.tuples(NAMES, st.text(max_size=8)), max_size=8)


@given(FIELDS, NAMES)
def test_a_lookup_finds_every_spelling_of_the_name_in_order(
    fields: list[tuple[str, str]], name: str
) -> None:
    expected = [value for key, value in fields if key.casefold() == name.casefold()]
    assert header_values(fields, name) == expected
    assert header(fields, name) == (expected[0] if expected else None)


@given(FIELDS, st.sampled_from([", ", ","]))
def test_joined_is_one_field_per_name_as_http_reads_repeats(
    fields: list[tuple[str, str]], separator: str
) -> None:
    out = joined_headers(fields, separator=separator)
    assert list(out) == list(dict.fromkeys(key.lower() for key, _ in fields))
    for name, value in out.items():
        assert value == separator.join(header_values(fields, name))


def test_a_mapping_is_looked_up_through_its_items() -> None:
    headers = {"Content-Type": "application/json", "X-Id": "7"}
    assert header(headers.items(), "content-type") == "application/json"
    assert header(headers.items(), "accept") is None
    assert joined_headers([("A", "1"), ("a", "2")]) == {"a": "1, 2"}
