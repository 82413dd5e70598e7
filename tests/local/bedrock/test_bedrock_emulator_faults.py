"""Validation errors and injected faults, as botocore and ``stream_text`` report them."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import urllib3
from botocore.exceptions import ClientError, EventStreamError

from bedrock_stream.bedrock import (
    IncompleteStreamError,
    ModelStreamError,
    RetryPolicy,
    ThrottlingError,
    ValidationError,
    build_invoke_body,
    stream_text,
)
from bedrock_stream.local.bedrock import (
    FAULT_HEADER,
    BedrockEmulator,
    Disconnect,
    ErrorResponse,
    Guardrail,
    Stall,
    StreamFault,
    Truncate,
    access_denied,
    parse_fault,
    resource_not_found,
    throttling,
)

RECORDINGS = Path(__file__).parents[2] / "data" / "bedrock-recordings"
CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
NOVA = "amazon.nova-micro-v1:0"
PROMPT = "Tell me about rivers"
NO_WAIT = RetryPolicy(sleep=lambda _: None)


def error_of(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        info.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def anthropic(client: Any, body: dict[str, Any], model: str = CLAUDE) -> Any:
    return lambda: client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "otel-java-testinvokemodelwithresponsestreamamazonnova-1.json",
        "otel-java-testinvokemodelwithresponsestreamamazonnova-2.json",
        "otel-python-converse-stream-with-invalid-model.json",
    ],
)
def test_recorded_errors_are_reproduced_exactly(name: str, boto3_client: Any) -> None:
    fixture = json.loads((RECORDINGS / name).read_text())
    expected = fixture["expected_error"]
    model_id, body = fixture["model_id"], fixture["request_body"]
    if fixture["operation"] == "ConverseStream":
        call = lambda: boto3_client.converse_stream(modelId=model_id, **body)  # noqa: E731
    else:
        call = lambda: boto3_client.invoke_model_with_response_stream(  # noqa: E731
            modelId=model_id, body=json.dumps(body)
        )
    code = expected["x-amzn-ErrorType"].split(":")[0]
    assert error_of(call) == (code, expected["message"], expected["http_status"])


def test_anthropic_body_validation(boto3_client: Any) -> None:
    good = build_invoke_body("anthropic", PROMPT, max_tokens=10)
    cases = {
        "anthropic_version": "#: required key [anthropic_version] not found",
        "max_tokens": "#: required key [max_tokens] not found",
    }
    for key, detail in cases.items():
        body = {k: v for k, v in good.items() if k != key}
        code, message, status = error_of(anthropic(boto3_client, body))
        assert (code, status) == ("ValidationException", 400)
        assert (
            message
            == f"Malformed input request: {detail}, please reformat your input and try again."
        )
    both = {"messages": good["messages"]}
    assert "#: 2 schema violations found" in error_of(anthropic(boto3_client, both))[1]
    assert (
        "extraneous key [stream] is not permitted"
        in error_of(anthropic(boto3_client, {**good, "stream": True}))[1]
    )
    assert (
        "not a valid enum value"
        in error_of(anthropic(boto3_client, {**good, "anthropic_version": "2023-06-01"}))[1]
    )
    assert error_of(anthropic(boto3_client, {**good, "messages": []}))[1] == (
        "messages: at least one message is required"
    )
    legacy = {"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 5}
    assert "Please use the Messages API instead" in error_of(anthropic(boto3_client, legacy))[1]


def test_other_validation_errors(boto3_client: Any) -> None:
    titan = {"inputText": PROMPT, "maxTokenCount": 5}
    assert (
        "#: extraneous key [maxTokenCount] is not permitted"
        in error_of(anthropic(boto3_client, titan, "amazon.titan-text-lite-v1"))[1]
    )
    titan = {"inputText": PROMPT, "textGenerationConfig": {"maxTokenCount": "ten"}}
    assert (
        "expected type: Integer"
        in error_of(anthropic(boto3_client, titan, "amazon.titan-text-lite-v1"))[1]
    )
    code, message, _ = error_of(
        lambda: boto3_client.invoke_model(modelId=CLAUDE, body=b"{not json")
    )
    assert (code, message) == (
        "ValidationException",
        "Malformed input request, please reformat your input and try again.",
    )
    code, message, _ = error_of(lambda: boto3_client.converse(modelId=NOVA, messages=[]))
    assert code == "ValidationException" and "must start with a user message" in message
    assistant_first = [{"role": "assistant", "content": [{"text": "hi"}]}]
    assert error_of(lambda: boto3_client.converse(modelId=NOVA, messages=assistant_first))[0] == (
        "ValidationException"
    )
    blank = [{"role": "user", "content": [{"text": " "}]}]
    assert (
        "messages.0.content.0 is blank"
        in error_of(lambda: boto3_client.converse_stream(modelId=NOVA, messages=blank))[1]
    )
    code, message, _ = error_of(
        lambda: boto3_client.invoke_model_with_response_stream(
            modelId="ai21.j2-mid-v1", body=json.dumps({"prompt": "hi"})
        )
    )
    assert code == "ValidationException" and "streaming" in message
    code, message, status = error_of(
        lambda: boto3_client.converse(modelId="acme.unknown-model-v1", messages=[])
    )
    assert (code, message, status) == (
        "ValidationException",
        "The provided model identifier is invalid.",
        400,
    )


def test_validation_errors_map_to_our_errors(client: Any) -> None:
    with pytest.raises(ValidationError, match="model identifier is invalid"):
        list(stream_text(PROMPT, model_id="us.acme.thing-v1:0", family="anthropic", client=client))


def test_json_nested_too_deep_is_malformed_not_a_crash(
    boto3_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    deep = b"[" * 100_000
    code, _, status = error_of(lambda: boto3_client.invoke_model(modelId=NOVA, body=deep))
    assert (code, status) == ("ValidationException", 400)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_unknown_operation_is_404(emulator: BedrockEmulator) -> None:
    request = urllib.request.Request(
        emulator.url + "/model/x/nope",
        data=b"{}",
        headers={"Authorization": "Bearer local-key"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=5)
    info.value.close()
    assert info.value.code == 404
    assert info.value.headers["x-amzn-ErrorType"].startswith("UnknownOperationException")


# -- pre-stream errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "code", "status"),
    [
        (throttling(), "ThrottlingException", 429),
        (access_denied(), "AccessDeniedException", 403),
        (resource_not_found(), "ResourceNotFoundException", 404),
        (
            ErrorResponse(503, "ServiceUnavailableException", "busy"),
            "ServiceUnavailableException",
            503,
        ),
    ],
)
def test_error_before_the_stream(
    fault: ErrorResponse, code: str, status: int, emulator: BedrockEmulator, boto3_client: Any
) -> None:
    emulator.faults.add(fault)
    messages = [{"role": "user", "content": [{"text": PROMPT}]}]
    assert error_of(lambda: boto3_client.converse_stream(modelId=NOVA, messages=messages)) == (
        code,
        fault.message,
        status,
    )
    assert emulator.requests[-1].outcome == "error"
    assert "".join(stream_text(PROMPT, model_id=NOVA, client=boto3_client))  # used up


def test_botocore_retries_a_throttle_itself(emulator: BedrockEmulator, new_client: Any) -> None:
    emulator.faults.add(throttling(), times=2)
    retrying = new_client(attempts=3)
    assert "".join(stream_text(PROMPT, model_id=CLAUDE, client=retrying, retry=NO_WAIT))
    assert [r.status for r in emulator.requests] == [429, 429, 200]


def test_stream_text_retries_a_throttle_before_the_first_token(
    emulator: BedrockEmulator, client: Any
) -> None:
    emulator.faults.add(throttling(), times=2)
    emulator.faults.add(StreamFault("throttlingException", after_tokens=0))
    stream = stream_text(PROMPT, model_id=CLAUDE, api="invoke", client=client, retry=NO_WAIT)
    text = "".join(stream)
    assert stream.attempts == 4
    assert [r.outcome for r in emulator.requests] == ["error", "error", "exception", "ok"]
    assert text == emulator.requests[-1].text


def test_throttle_exhausts_the_retries(emulator: BedrockEmulator, client: Any) -> None:
    emulator.faults.add(throttling(), times=None)
    with pytest.raises(ThrottlingError):
        list(stream_text(PROMPT, model_id=CLAUDE, client=client, retry=NO_WAIT))
    assert len(emulator.requests) == NO_WAIT.max_attempts


# -- mid-stream faults ----------------------------------------------------------------------


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_exception_frame_mid_stream_raises_and_is_never_retried(
    api: Any, emulator: BedrockEmulator, client: Any
) -> None:
    emulator.faults.add(StreamFault("modelStreamErrorException", after_tokens=5))
    received: list[str] = []
    with pytest.raises(ModelStreamError, match="modelStreamErrorException"):
        received.extend(stream_text(PROMPT, model_id=CLAUDE, api=api, client=client, retry=NO_WAIT))
    whole = emulator.requests[-1].text
    assert whole is not None and received
    assert whole.startswith("".join(received)) and len("".join(received)) < len(whole)
    assert len(emulator.requests) == 1 and emulator.requests[0].outcome == "exception"


def test_exception_frame_as_botocore_reports_it(
    emulator: BedrockEmulator, boto3_client: Any
) -> None:
    emulator.faults.add(StreamFault("internalServerException", after_tokens=3))
    response = boto3_client.converse_stream(
        modelId=NOVA, messages=[{"role": "user", "content": [{"text": "x"}]}]
    )
    with pytest.raises(EventStreamError) as info:
        list(response["stream"])
    response["stream"].close()
    assert info.value.response["Error"]["Code"] == "internalServerException"


def test_exception_after_all_text_still_fails(emulator: BedrockEmulator, client: Any) -> None:
    emulator.faults.add(StreamFault("modelStreamErrorException", after_tokens=100_000))
    received: list[str] = []
    with pytest.raises(ModelStreamError):
        received.extend(stream_text(PROMPT, model_id=CLAUDE, api="invoke", client=client))
    assert "".join(received) == emulator.requests[-1].text  # every token, but no stop event


def test_truncated_stream_is_never_a_silent_success(emulator: BedrockEmulator, client: Any) -> None:
    emulator.faults.add(Truncate(after_tokens=4), model="nova")
    with pytest.raises(IncompleteStreamError):
        list(stream_text(PROMPT, model_id=NOVA, api="invoke", client=client))
    assert emulator.requests[-1].outcome == "truncated"


def test_disconnect_mid_stream_raises(emulator: BedrockEmulator, boto3_client: Any) -> None:
    emulator.faults.add(Disconnect(after_tokens=4))
    received: list[str] = []
    with pytest.raises(IncompleteStreamError) as info:
        received.extend(stream_text(PROMPT, model_id=CLAUDE, client=boto3_client))
    assert isinstance(info.value.__cause__, urllib3.exceptions.ProtocolError)
    assert len("".join(received)) < len(emulator.requests[-1].text or "")


def test_stall_then_resume(emulator: BedrockEmulator, client: Any) -> None:
    emulator.faults.add(Stall(after_tokens=3, seconds=0.2))
    text = "".join(stream_text(PROMPT, model_id=CLAUDE, client=client))
    assert text == emulator.requests[-1].text
    assert emulator.requests[-1].outcome == "ok"


def test_stall_forever_until_the_client_leaves(emulator: BedrockEmulator, new_client: Any) -> None:
    impatient = new_client(read_timeout=0.5)
    emulator.faults.add(Stall(after_tokens=2))
    received: list[str] = []
    with pytest.raises(IncompleteStreamError) as info:
        received.extend(stream_text(PROMPT, model_id=CLAUDE, client=impatient))
    assert isinstance(info.value.__cause__, urllib3.exceptions.ReadTimeoutError)
    assert received


def test_guardrail_on_converse_stream(emulator: BedrockEmulator, client: Any) -> None:
    emulator.faults.add(Guardrail(after_tokens=6, message="Blocked by policy."))
    stream = stream_text(PROMPT, model_id=NOVA, client=client)
    text = "".join(stream)
    assert text.endswith("Blocked by policy.") and text == emulator.requests[-1].text
    assert stream.stop is not None and stream.stop.reason == "guardrail_intervened"
    assert stream.trace is not None and "guardrail" in stream.trace.data


@pytest.mark.parametrize("model", [CLAUDE, NOVA, "amazon.titan-text-express-v1"])
def test_guardrail_on_invoke_stream(model: str, emulator: BedrockEmulator, client: Any) -> None:
    emulator.faults.add(Guardrail(after_tokens=6))
    stream = stream_text(PROMPT, model_id=model, api="invoke", client=client)
    assert "".join(stream).endswith("Sorry, the model cannot answer this question.")
    assert stream.stop is not None and stream.stop.reason == "guardrail_intervened"


def test_faults_on_buffered_operations(emulator: BedrockEmulator, boto3_client: Any) -> None:
    emulator.faults.add(StreamFault("throttlingException"), operation="converse")
    messages = [{"role": "user", "content": [{"text": PROMPT}]}]
    assert error_of(lambda: boto3_client.converse(modelId=NOVA, messages=messages))[::2] == (
        "ThrottlingException",
        429,
    )
    emulator.faults.add(Guardrail(after_tokens=2), operation="converse")
    assert (
        boto3_client.converse(modelId=NOVA, messages=messages)["stopReason"]
        == "guardrail_intervened"
    )


# -- rules and the header -------------------------------------------------------------------


def test_rules_match_operation_model_prompt_and_count(
    emulator: BedrockEmulator, client: Any
) -> None:
    rule = emulator.faults.add(
        throttling(), operation="stream", model="nova", prompt="rivers", times=2
    )
    assert "".join(stream_text("something else", model_id=NOVA, client=client))
    assert "".join(stream_text(PROMPT, model_id=CLAUDE, client=client))
    for _ in range(2):
        with pytest.raises(ThrottlingError):
            list(
                stream_text(PROMPT, model_id=NOVA, client=client, retry=RetryPolicy(max_attempts=1))
            )
    assert "".join(stream_text(PROMPT, model_id=NOVA, client=client))
    assert rule.hits == 2 and rule.times == 0


def test_fault_header(emulator: BedrockEmulator, new_client: Any) -> None:
    client = new_client()

    def add_header(request: Any, **_: Any) -> None:
        request.headers[FAULT_HEADER] = "exception; code=throttlingException; after=3"

    client.meta.events.register("before-sign.bedrock-runtime.*", add_header)
    with pytest.raises(ThrottlingError):
        list(stream_text(PROMPT, model_id=CLAUDE, client=client, retry=RetryPolicy(max_attempts=1)))
    assert emulator.requests[-1].fault == StreamFault("throttlingException", 3)


def test_admin_api(emulator: BedrockEmulator, boto3_client: Any) -> None:
    def call(method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        request = urllib.request.Request(emulator.url + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    assert call("POST", "/_emulator/faults", {"fault": "access-denied", "model": "nova"}) == {
        "rules": 1
    }
    with pytest.raises(ClientError, match="AccessDenied"):
        boto3_client.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "x"}]}])
    call("POST", "/_emulator/faults", {"fault": "throttling", "times": None})
    assert call("DELETE", "/_emulator/faults") == {"rules": 0}
    assert "".join(stream_text(PROMPT, model_id=NOVA, client=boto3_client))
    summaries = call("GET", "/_emulator/requests")
    assert [s["error_code"] for s in summaries] == ["AccessDeniedException", None]
    with pytest.raises(urllib.error.HTTPError) as info:
        call("POST", "/_emulator/faults", {"fault": "nonsense"})
    info.value.close()
    assert info.value.code == 400


def test_parse_fault() -> None:
    assert parse_fault("throttling") == throttling()
    assert parse_fault(
        "error; status=403; code=AccessDeniedException; message=no"
    ) == ErrorResponse(403, "AccessDeniedException", "no")
    assert parse_fault("exception; code=ModelStreamErrorException; after=2") == StreamFault(
        "modelStreamErrorException", 2
    )
    assert parse_fault("stall; after=1; seconds=0.5") == Stall(1, 0.5)
    assert parse_fault("stall") == Stall(0, None)
    assert parse_fault("guardrail; after=3") == Guardrail(3)
    assert parse_fault("truncate; after=1") == Truncate(1)
    assert parse_fault("disconnect") == Disconnect(0)
    for bad in ("boom", "stall; after", "stall; after=x", "truncate; color=red"):
        with pytest.raises(ValueError, match="fault"):
            parse_fault(bad)
