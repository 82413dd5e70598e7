"""Every recorded Bedrock stream decodes to the same messages through our decoder and botocore's."""

from __future__ import annotations

import base64
import random

import pytest
from bedrock_replay import load_recording, recordings
from botocore.eventstream import EventStreamBuffer

from bedrock_stream.protocol.eventstream import EventStreamDecoder

STREAMS = [
    (name, base64.b64decode(fixture["body_base64"]))
    for name in recordings("InvokeModelWithResponseStream", "ConverseStream")
    if (fixture := load_recording(name))["frames"]
]


def _splits(body: bytes, rng: random.Random) -> list[bytes]:
    """The body cut at random places: sometimes byte by byte, sometimes a frame and a bit."""
    largest = rng.choice([1, 7, 64, 512, len(body)])
    pieces, start = [], 0
    while start < len(body):
        end = start + rng.randint(1, largest)
        pieces.append(body[start:end])
        start = end
    return pieces


def _ours(pieces: list[bytes]) -> list[tuple[dict[str, object], bytes]]:
    decoder = EventStreamDecoder()
    messages = [(m.headers, m.payload) for piece in pieces for m in decoder.feed(piece)]
    decoder.close()
    return messages


def _botocore(pieces: list[bytes]) -> list[tuple[dict[str, object], bytes]]:
    buffer = EventStreamBuffer()
    messages = []
    for piece in pieces:
        buffer.add_data(piece)
        messages += [(m.headers, m.payload) for m in buffer]
    assert not buffer._data  # nothing left over: the recording is whole
    return messages


def test_the_recordings_hold_the_streams_we_count() -> None:
    assert len(STREAMS) == 120
    assert sum(len(_botocore([body])) for _, body in STREAMS) == 3705


@pytest.mark.parametrize(("name", "body"), STREAMS, ids=[name for name, _ in STREAMS])
def test_a_recording_decodes_as_botocore_decodes_it_under_random_splits(
    name: str, body: bytes
) -> None:
    rng = random.Random(name)
    expected = _botocore([body])
    assert expected
    for _ in range(8):
        pieces = _splits(body, rng)
        # Bedrock sends only string headers, so the two decoders' values compare as they are.
        assert _ours(pieces) == _botocore(pieces) == expected
