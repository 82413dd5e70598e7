"""Old module paths and names of the protocol layer are the very objects of their new homes."""

from __future__ import annotations

import pytest

from bedrock_stream.bedrock import eventstream as old_eventstream
from bedrock_stream.protocol import eventstream, http1
from bedrock_stream.runtime import wire


@pytest.mark.parametrize("name", wire.__all__)
def test_runtime_wire_is_protocol_http1(name: str) -> None:
    assert getattr(wire, name) is getattr(http1, name)


@pytest.mark.parametrize("name", old_eventstream.__all__)
def test_bedrock_eventstream_is_protocol_eventstream(name: str) -> None:
    assert getattr(old_eventstream, name) is getattr(eventstream, name)


def test_runtime_client_invocation_is_next_invocation() -> None:
    from bedrock_stream.protocol.runtime_api import NextInvocation
    from bedrock_stream.runtime import client

    assert client.Invocation is NextInvocation
    assert client.NextInvocation is NextInvocation


def test_runtime_diagnostic_names_are_the_protocols() -> None:
    from bedrock_stream.protocol import diagnostic, runtime_api
    from bedrock_stream.runtime import diagnostic as runtime_diagnostic

    assert runtime_diagnostic.TRAILER_BUDGET == diagnostic.TRAILER_BUDGET
    assert runtime_diagnostic.Diagnostic is diagnostic.Diagnostic
    assert runtime_diagnostic.ERROR_TYPE is runtime_api.ERROR_TYPE
    assert runtime_diagnostic.ERROR_BODY is runtime_api.ERROR_BODY


@pytest.mark.parametrize(
    "name",
    [
        "STREAM_BUFFER",
        "TRUNCATED_RESPONSE",
        "BodyChunk",
        "Done",
        "Event",
        "InitError",
        "InvocationError",
        "ResponseStarted",
        "Result",
        "Trailers",
    ],
)
def test_local_runtime_api_vocabulary_is_local_invocations(name: str) -> None:
    from bedrock_stream.local import invocation, runtime_api

    assert getattr(runtime_api, name) is getattr(invocation, name)


def test_local_runtime_api_invocation_is_invocation_record() -> None:
    from bedrock_stream.local import invocation, runtime_api

    assert runtime_api.Invocation is invocation.InvocationRecord
    assert runtime_api.InvocationRecord is invocation.InvocationRecord
