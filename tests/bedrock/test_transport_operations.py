"""The built-in transport's wire format is botocore's: requests, events and errors.

botocore's own REST-JSON serializer and parsers are the reference, fed the same values or
the same bytes; the service model is the reference for which members are blobs.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from bedrock_replay import converse_frame
from botocore.eventstream import EventStream
from botocore.exceptions import EventStreamError
from botocore.parsers import EventStreamJSONParser, create_parser
from botocore.serialize import create_serializer
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from request_strategies import CONVERSE_USER_BLOCKS, SERVICE_MODEL, call_options, conversations

from bedrock_stream.bedrock.errors import BedrockError, UnsupportedOptionError, error_for_code
from bedrock_stream.bedrock.families import resolve_family
from bedrock_stream.bedrock.requests import build_converse_request, build_invoke_request
from bedrock_stream.bedrock.transport.operations import (
    CONVERSE_BLOBS,
    EVENT_BLOBS,
    OPERATIONS,
    REQUEST_BLOBS,
    decode_converse,
    decode_message,
    encode_request,
    error_from_response,
)
from bedrock_stream.protocol.eventstream import encode_message
from bedrock_stream.protocol.eventstream_decoder import EventStreamDecoder

MODEL_IDS = st.sampled_from(
    [
        "anthropic.claude-3-haiku-20240307-v1:0",
        "us.amazon.nova-pro-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0",
        "model with spaces/and~tilde",
    ]
)


def _blob_paths(shape: Any, path: tuple[str, ...] = (), seen: frozenset[str] = frozenset()) -> set:
    """Every blob member under ``shape``, as our tables spell paths ("*" for list items)."""
    if shape.type_name == "blob":
        return {path}
    if shape.name in seen:
        return set()
    seen |= {shape.name}
    if shape.type_name == "structure":
        return set().union(*(_blob_paths(s, (*path, n), seen) for n, s in shape.members.items()))
    if shape.type_name == "list":
        return _blob_paths(shape.member, (*path, "*"), seen)
    return set()


def test_the_blob_tables_are_the_service_models() -> None:
    converse = SERVICE_MODEL.operation_model("Converse")
    assert set(REQUEST_BLOBS) == _blob_paths(converse.input_shape)
    assert set(CONVERSE_BLOBS) == _blob_paths(converse.output_shape)
    stream = SERVICE_MODEL.operation_model("ConverseStream").output_shape.members["stream"]
    invoke = SERVICE_MODEL.operation_model("InvokeModelWithResponseStream").output_shape
    events = {**stream.members, "chunk": invoke.members["body"].members["chunk"]}
    modelled = {name: _blob_paths(shape) for name, shape in events.items()}
    assert {name: set(paths) for name, paths in EVENT_BLOBS.items()} == {
        name: paths for name, paths in modelled.items() if paths
    }


def _botocore_request(operation: str, arguments: dict[str, Any]) -> dict[str, Any]:
    serializer = create_serializer("rest-json", include_validation=False)
    request: dict[str, Any] = serializer.serialize_to_request(
        arguments, SERVICE_MODEL.operation_model(operation)
    )
    return request


@settings(max_examples=60, deadline=None)
@given(
    model_id=MODEL_IDS,
    messages=conversations(user=CONVERSE_USER_BLOCKS),
    options=call_options,
    stream=st.booleans(),
)
def test_a_converse_request_is_botocores(
    model_id: str, messages: list[dict[str, Any]], options: dict[str, Any], stream: bool
) -> None:
    try:
        arguments = build_converse_request(
            model_id, messages, max_tokens=100, stream=stream, **options
        )
    except UnsupportedOptionError:  # a combination the builders refuse, as Bedrock would
        reject()
    name = "ConverseStream" if stream else "Converse"
    path, headers, body = encode_request(OPERATIONS[name], arguments)
    expected = _botocore_request(name, arguments)
    assert path == expected["url_path"]
    assert json.loads(body) == json.loads(expected["body"])
    assert dict(headers)["Content-Type"] == expected["headers"]["Content-Type"]


@settings(max_examples=40, deadline=None)
@given(
    model_id=st.sampled_from(["anthropic.claude-3-haiku-20240307-v1:0", "us.amazon.nova-pro-v1:0"]),
    prompt=st.text(min_size=1, max_size=40),
    options=call_options,
    stream=st.booleans(),
)
def test_an_invoke_request_is_botocores(
    model_id: str, prompt: str, options: dict[str, Any], stream: bool
) -> None:
    family = resolve_family(model_id, None)
    try:
        arguments = build_invoke_request(
            model_id, family, prompt, stream=stream, max_tokens=64, **options
        )
    except UnsupportedOptionError:
        reject()
    name = "InvokeModelWithResponseStream" if stream else "InvokeModel"
    path, headers, body = encode_request(OPERATIONS[name], arguments)
    expected = _botocore_request(name, arguments)
    assert path == expected["url_path"]
    assert body == expected["body"]
    assert {k.lower(): v for k, v in headers} == {
        k.lower(): v for k, v in expected["headers"].items()
    }


def test_a_str_blob_is_sent_as_its_utf8_bytes_as_botocore_sends_it() -> None:
    block = {"image": {"format": "png", "source": {"bytes": "é"}}}
    arguments = {"modelId": "m", "messages": [{"role": "user", "content": [block]}]}
    _, _, body = encode_request(OPERATIONS["Converse"], arguments)
    sent = json.loads(body)["messages"][0]["content"][0]["image"]["source"]["bytes"]
    assert base64.b64decode(sent) == "é".encode()
    assert json.loads(body) == json.loads(_botocore_request("Converse", arguments)["body"])


class _Raw:
    """The raw stream botocore's ``EventStream`` reads: bytes, then nothing."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self) -> Any:
        yield self._data

    def close(self) -> None:
        pass


def _botocore_events(operation: str, data: bytes) -> list[Any]:
    output = SERVICE_MODEL.operation_model(operation).output_shape
    member = output.members["stream" if operation == "ConverseStream" else "body"]
    return list(EventStream(_Raw(data), member, EventStreamJSONParser(), operation))


def _ours(data: bytes) -> list[Any]:
    decoder = EventStreamDecoder()
    events = [decode_message(message) for message in decoder.feed(data)]
    decoder.close()
    return [event for event in events if event is not None]


blobs = st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())
stream_events = st.one_of(
    st.builds(lambda t: ("messageStart", {"role": "assistant"}), st.none()),
    st.builds(
        lambda i, t: ("contentBlockDelta", {"contentBlockIndex": i, "delta": {"text": t}}),
        st.integers(0, 5),
        st.text(max_size=20),
    ),
    st.builds(
        lambda i, b: (
            "contentBlockDelta",
            {"contentBlockIndex": i, "delta": {"reasoningContent": {"redactedContent": b}}},
        ),
        st.integers(0, 5),
        blobs,
    ),
    st.builds(lambda i: ("contentBlockStop", {"contentBlockIndex": i}), st.integers(0, 5)),
    st.builds(lambda r: ("messageStop", {"stopReason": r}), st.sampled_from(["end_turn", "x"])),
    st.builds(
        lambda n: ("metadata", {"usage": {"inputTokens": n, "outputTokens": n, "totalTokens": n}}),
        st.integers(0, 10**6),
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(stream_events, max_size=8))
def test_converse_stream_events_are_botocores(events: list[tuple[str, dict[str, Any]]]) -> None:
    data = b"".join(converse_frame(name, member) for name, member in events)
    assert _ours(data) == _botocore_events("ConverseStream", data)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=6))
def test_invoke_stream_chunks_are_botocores(chunks: list[bytes]) -> None:
    data = b"".join(
        converse_frame("chunk", {"bytes": base64.b64encode(chunk).decode()}) for chunk in chunks
    )
    ours = _ours(data)
    assert ours == _botocore_events("InvokeModelWithResponseStream", data)
    assert [event["chunk"]["bytes"] for event in ours] == chunks


exception_types = st.sampled_from(
    [
        "throttlingException",
        "modelStreamErrorException",
        "validationException",
        "internalServerException",
        "serviceUnavailableException",
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    kind=exception_types,
    key=st.sampled_from(["message", "Message"]),
    text=st.text(max_size=30),
    first=st.booleans(),
)
def test_an_exception_frame_is_botocores_error(kind: str, key: str, text: str, first: bool) -> None:
    headers = {
        ":exception-type": kind,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    frame = encode_message(headers, json.dumps({key: text}).encode())
    start = converse_frame("messageStart", {"role": "assistant"})
    data = frame if first else start + frame
    with pytest.raises(EventStreamError) as caught:
        _botocore_events("ConverseStream", data)
    error = caught.value.response["Error"]
    expected = error_for_code(error["Code"], error["Message"])
    with pytest.raises(BedrockError) as ours:
        _ours(data)
    assert type(ours.value) is type(expected)
    assert str(ours.value) == str(expected)
    assert ours.value.code == expected.code


def test_a_converse_answer_gets_its_blobs_as_bytes() -> None:
    secret = base64.b64encode(b"\x00opaque").decode()
    body = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [{"reasoningContent": {"redactedContent": secret}}, {"text": "hi"}],
            }
        },
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 2, "totalTokens": 3},
        "metrics": {"latencyMs": 5},
    }
    raw = json.dumps(body).encode()
    parsed = create_parser("rest-json").parse(
        {"status_code": 200, "headers": {}, "body": raw},
        SERVICE_MODEL.operation_model("Converse").output_shape,
    )
    parsed.pop("ResponseMetadata")
    assert decode_converse(raw) == parsed
    assert parsed["output"]["message"]["content"][0]["reasoningContent"]["redactedContent"] == (
        b"\x00opaque"
    )


def _not_a_json_scalar(text: str) -> bool:
    """botocore itself fails on an error body of JSON that is not an object."""
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return True


error_bodies = st.one_of(
    st.just(b""),
    st.just(b"<html>Bad gateway</html>"),
    st.text(max_size=20).filter(_not_a_json_scalar).map(str.encode),
    st.fixed_dictionaries(
        {},
        optional={
            "message": st.text(max_size=20),
            "Message": st.text(max_size=20),
            "__type": st.sampled_from(
                ["ThrottlingException", "com.amazon#ValidationException", None]
            ),
            "code": st.sampled_from(["ServiceUnavailableException", "Nope:x"]),
        },
    ).map(lambda d: json.dumps(d).encode()),
)
error_types = st.none() | st.sampled_from(
    [
        "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/",
        "ValidationException",
        "ModelTimeoutException",
        "aws.protocols#AccessDeniedException",
    ]
)


@settings(max_examples=120, deadline=None)
@given(
    status=st.sampled_from([400, 403, 404, 408, 424, 429, 500, 502, 503]),
    error_type=error_types,
    body=error_bodies,
)
def test_an_error_answer_is_botocores_error(
    status: int, error_type: str | None, body: bytes
) -> None:
    headers = {} if error_type is None else {"x-amzn-errortype": error_type}
    parsed = create_parser("rest-json").parse(
        {"status_code": status, "headers": headers, "body": body},
        SERVICE_MODEL.operation_model("Converse").output_shape,
    )
    error = parsed["Error"]
    expected = error_for_code(str(error.get("Code") or ""), str(error.get("Message") or ""))
    ours = error_from_response(status, headers, body)
    assert (type(ours), str(ours), ours.code) == (type(expected), str(expected), expected.code)
