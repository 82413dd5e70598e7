"""Fuzz target: the HTTP integration prelude decoder on any bytes, split anywhere.

Holds: ``PreludeDecoder`` raises only ``PreludeError``; what it decodes re-encodes to a
prelude that decodes the same; the body is exactly the bytes after the delimiter.
"""

from __future__ import annotations

from bedrock_stream.http_integration import DELIMITER, Prelude, PreludeDecoder, PreludeError


def test_one_input(data: bytes) -> None:
    """Feed ``data`` (its first byte chooses the split size) to a fresh decoder."""
    if not data:
        return
    step, stream = data[0] + 1, data[1:]
    decoder = PreludeDecoder()
    found: list[Prelude | bytes] = []
    try:
        for start in range(0, len(stream), step):
            found += decoder.feed(stream[start : start + step])
        decoder.close()
    except PreludeError:
        return
    prelude, *body = found
    assert isinstance(prelude, Prelude)
    assert stream[stream.index(DELIMITER) + len(DELIMITER) :] == b"".join(body)  # type: ignore[arg-type]
    assert PreludeDecoder().feed(prelude.encode()) == [prelude]
