"""Fuzz target: Bedrock's parsers, every family, on any JSON a chunk or a body could carry.

Holds: the stream parsers (``ChunkParser.feed``, ``converse_events``) and the buffered ones
(``parse_invoke_response``, ``converse_response_events``) return events or raise
``MalformedChunkError``, whatever the document's shape.
"""

from __future__ import annotations

import json
from typing import get_args

from bedrock_stream.bedrock import (
    ChunkParser,
    MalformedChunkError,
    converse_events,
    converse_response_events,
    parse_invoke_response,
)
from bedrock_stream.bedrock.families import Family

FAMILIES: tuple[Family, ...] = get_args(Family)


def test_one_input(data: bytes) -> None:
    """Parse ``data`` (JSON after its first byte, which picks the family) with each parser."""
    if not data:
        return
    try:
        document = json.loads(data[1:])
    except (ValueError, RecursionError):
        return
    family = FAMILIES[data[0] % len(FAMILIES)]
    parsers = (
        ChunkParser(family).feed,
        converse_events,
        converse_response_events,
        lambda body: parse_invoke_response(family, body, {}),
    )
    for parse in parsers:
        try:
            events = parse(document)
        except MalformedChunkError:
            continue
        assert isinstance(events, list)
