"""Every event and content member of the installed service model has a mapper, or is raw.

ConverseStream and Converse shapes come from botocore's own ``bedrock-runtime`` model. A
member we map must exist there (no typo maps nothing); a member we do not map must be listed
here as arriving raw, so a botocore that adds one fails this test with the member's name,
while users still receive it as a ``RawEvent``.
"""

from __future__ import annotations

from typing import Any

import pytest

from bedrock_stream.bedrock import converse

EXCEPTIONS = {
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
    "throttlingException",
    "serviceUnavailableException",
}
"""ConverseStream members that botocore raises as ``EventStreamError`` (see errors.py)."""

RAW = {
    "ContentBlockDelta": {"image"},
    "ContentBlockStart": set(),
    "ContentBlock": {
        "image",
        "document",
        "video",
        "audio",
        "guardContent",
        "cachePoint",
        "searchResult",
        "toolAddition",
        "toolRemoval",
    },
}
"""Members that arrive as ``RawEvent`` today: input-side blocks a reply does not carry, and
image output, which no typed event models yet."""


@pytest.fixture(scope="module")
def model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("bedrock-runtime")


def members(model: Any, shape: str) -> set[str]:
    return set(model.shape_for(shape).members)


def test_every_converse_stream_event_is_mapped(model: Any) -> None:
    assert members(model, "ConverseStreamOutput") == set(converse._EVENTS) | EXCEPTIONS


@pytest.mark.parametrize(
    ("shape", "table"),
    [
        ("ContentBlockDelta", converse._DELTAS),
        ("ContentBlockStart", converse._STARTS),
        ("ContentBlock", converse._BLOCKS),
    ],
)
def test_every_block_member_is_mapped_or_raw(model: Any, shape: str, table: Any) -> None:
    known = members(model, shape)
    assert set(table) <= known, f"{shape}: mapped members the model does not have"
    assert known - set(table) == RAW[shape], f"{shape}: list a new member here or map it"


def test_every_metadata_member_is_mapped(model: Any) -> None:
    stream = members(model, "ConverseStreamMetadataEvent")
    assert stream == set(converse._METADATA)
    buffered = set(model.operation_model("Converse").output_shape.members)
    assert buffered - {"output", "stopReason", "additionalModelResponseFields"} == stream
