"""Hypothesis strategies for event-stream messages the project's encoder can write.

Shared by the encoder's tests against botocore (tests/bedrock/test_eventstream.py) and the
decoder's round trip (tests/protocol/test_eventstream_decoder.py). Importable from every test
module: pytest puts ``tests/`` on ``sys.path`` for the root ``conftest.py``.
"""

from __future__ import annotations

from hypothesis import strategies as st

from bedrock_stream.protocol.eventstream import Int8, Int16, Int32, Int64, Timestamp

__all__ = ["header_names", "header_values", "messages"]

header_names = st.text(min_size=1, max_size=40).filter(lambda s: len(s.encode()) < 256)
"""Header names the format can carry: at most 255 UTF-8 bytes."""


def header_values(millis: st.SearchStrategy[int]) -> st.SearchStrategy[object]:
    """Every header type; timestamps' milliseconds drawn from ``millis``."""
    return st.one_of(
        st.booleans(),
        st.integers(-(2**31), 2**31 - 1),
        st.builds(Int8, st.integers(-128, 127)),
        st.builds(Int16, st.integers(-(2**15), 2**15 - 1)),
        st.builds(Int32, st.integers(-(2**31), 2**31 - 1)),
        st.builds(Int64, st.integers(-(2**63), 2**63 - 1)),
        st.binary(max_size=300),
        st.text(max_size=100),
        st.builds(Timestamp, millis),
        st.uuids(),
    )


def messages(millis: st.SearchStrategy[int]) -> st.SearchStrategy[list[tuple[dict, bytes]]]:
    """One to five (headers, payload) pairs, timestamps' milliseconds drawn from ``millis``."""
    return st.lists(
        st.tuples(
            st.dictionaries(header_names, header_values(millis), max_size=6),
            st.binary(max_size=2000),
        ),
        min_size=1,
        max_size=5,
    )
