"""Exception faults carry only codes the streaming operation's service model defines."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError, EventStreamError

from bedrock_stream.local.bedrock import FAULT_HEADER, BedrockEmulator
from bedrock_stream.local.bedrock.faults import (
    STREAM_EXCEPTIONS,
    StreamFault,
    parse_fault,
    stream_refusal,
)

NOVA = "amazon.nova-micro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Tell me about rivers"}]}]
TIMEOUT = "exception; code=modelTimeoutException"
CONVERSE_CODES = (
    "internalServerException, modelStreamErrorException, serviceUnavailableException, "
    "throttlingException, validationException"
)


def test_the_table_is_botocores_service_model() -> None:
    import botocore.loaders

    model = botocore.loaders.Loader().load_service_model("bedrock-runtime", "service-2")
    shapes = model["shapes"]

    def exceptions(union: str) -> frozenset[str]:
        members = shapes[union]["members"].items()
        return frozenset(n for n, m in members if shapes[m["shape"]].get("exception"))

    assert {
        "invoke-stream": exceptions("ResponseStream"),
        "converse-stream": exceptions("ConverseStreamOutput"),
    } == STREAM_EXCEPTIONS


def test_a_spec_naming_no_streams_exception_is_refused_with_the_codes() -> None:
    with pytest.raises(ValueError, match="no Bedrock event stream defines") as info:
        parse_fault("exception; code=modelExplodedException")
    assert "modelTimeoutException" in str(info.value)
    assert parse_fault(TIMEOUT) == StreamFault("modelTimeoutException")


@pytest.mark.parametrize("operation", ["converse-stream", "stream"])
def test_a_rule_for_converse_stream_refuses_an_exception_it_does_not_define(
    emulator: BedrockEmulator, operation: Any
) -> None:
    with pytest.raises(ValueError, match="ConverseStream's event stream defines no") as info:
        emulator.faults.add(TIMEOUT, operation=operation)
    assert CONVERSE_CODES in str(info.value)
    with pytest.raises(ValueError, match="ConverseStream"):
        emulator.faults.add(StreamFault("modelTimeoutException"), operation=operation)
    assert emulator.faults.rules == []
    emulator.faults.add(TIMEOUT, operation="invoke-stream")
    emulator.faults.add(TIMEOUT, operation="converse")  # a 408 there
    assert len(emulator.faults.rules) == 2


def test_the_admin_api_refuses_such_a_rule(emulator: BedrockEmulator) -> None:
    rule = {"fault": TIMEOUT, "operation": "converse-stream"}
    request = urllib.request.Request(
        f"{emulator.url}/_emulator/faults",
        json.dumps(rule).encode(),
        {"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=5)
    assert info.value.code == 400
    assert CONVERSE_CODES in json.loads(info.value.read())["message"]
    info.value.close()


def test_a_rule_without_an_operation_is_a_400_on_converse_stream(
    emulator: BedrockEmulator, boto3_client: Any
) -> None:
    emulator.faults.add(TIMEOUT, times=None)
    with pytest.raises(ClientError) as info:
        boto3_client.converse_stream(modelId=NOVA, messages=MESSAGES)
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("fault rule: ConverseStream's event stream defines no")
    assert CONVERSE_CODES in error["Message"]
    assert emulator.requests[-1].status == 400
    # Where the operation defines it, the same rule is sent, and botocore names it.
    body = json.dumps({"messages": MESSAGES})
    response = boto3_client.invoke_model_with_response_stream(modelId=NOVA, body=body)
    with pytest.raises(EventStreamError) as raised:
        list(response["body"])
    response["body"].close()
    assert raised.value.response["Error"]["Code"] == "modelTimeoutException"


def test_the_fault_header_is_refused_the_same_way(boto3_client: Any) -> None:
    def add_header(request: Any, **_: Any) -> None:
        request.headers[FAULT_HEADER] = TIMEOUT

    boto3_client.meta.events.register("before-send.bedrock-runtime.ConverseStream", add_header)
    try:
        with pytest.raises(ClientError) as info:
            boto3_client.converse_stream(modelId=NOVA, messages=MESSAGES)
    finally:
        boto3_client.meta.events.unregister(
            "before-send.bedrock-runtime.ConverseStream", add_header
        )
    message = info.value.response["Error"]["Message"]
    assert message.startswith(f"{FAULT_HEADER}: ConverseStream's event stream defines no")


def test_only_exception_frames_are_refused() -> None:
    assert stream_refusal(parse_fault("stall"), "converse-stream") is None
    assert stream_refusal(StreamFault("throttlingException"), "converse-stream") is None
    assert stream_refusal(StreamFault("modelTimeoutException"), "invoke-stream") is None
