"""Faults: retries before the first delta only, typed errors, truncation, early close."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from bedrock_replay import (
    LLAMA,
    Reply,
    Server,
    chunk_frame,
    converse_frame,
    error_reply,
    exception_frame,
    llama,
    stream_reply,
)

from bedrock_stream.bedrock import (
    BedrockError,
    IncompleteStreamError,
    InternalServerError,
    MalformedChunkError,
    ModelStreamError,
    ModelTimeoutError,
    RetryPolicy,
    ServiceUnavailableError,
    ThrottlingError,
    UnknownModelError,
    ValidationError,
    complete_text,
    stream_events,
    stream_text,
)
from bedrock_stream.bedrock import (
    client as client_module,
)
from bedrock_stream.bedrock.transport import BuiltinClient
from bedrock_transports import TRANSPORTS


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def policy(sleeps: Sleeps, **kwargs: Any) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, rand=lambda: 1.0, **kwargs)


def test_invoke_stream_yields_text_and_exposes_outcome(server: Server, client: Any) -> None:
    server.replies.append(stream_reply(llama("Hel"), llama("lo", stop="stop")))
    stream = stream_text("hi", model_id=LLAMA, api="invoke", client=client, max_tokens=7)
    assert list(stream) == ["Hel", "lo"]
    assert stream.stop is not None
    assert (stream.stop.reason, stream.stop.raw) == ("end_turn", "stop")
    assert stream.usage is not None
    assert (stream.usage.input_tokens, stream.usage.output_tokens) == (3, 2)
    assert stream.metrics is not None
    assert (stream.metrics.first_byte_latency_ms, stream.metrics.invocation_latency_ms) == (10, 20)
    path, body = server.requests[0]
    assert path.endswith("/invoke-with-response-stream")
    assert body["max_gen_len"] == 7


def test_yield_from_works_in_a_generator(server: Server, client: Any) -> None:
    server.replies.append(
        stream_reply(
            converse_frame("contentBlockDelta", {"delta": {"text": "ok"}, "contentBlockIndex": 0}),
            converse_frame("messageStop", {"stopReason": "end_turn"}),
        )
    )

    def handler() -> Any:
        yield "<"
        yield from stream_text("hi", model_id="any-model-id", client=client)
        yield ">"

    assert "".join(handler()) == "<ok>"
    _path, body = server.requests[0]
    assert body["inferenceConfig"]["maxTokens"] == 1024


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (429, "ThrottlingException", ThrottlingError),
        (503, "ServiceUnavailableException", ServiceUnavailableError),
        (408, "ModelTimeoutException", ModelTimeoutError),
    ],
)
def test_retries_http_error_before_stream(
    server: Server, client: Any, status: int, code: str, error: type[Exception]
) -> None:
    server.replies += [error_reply(status, code), stream_reply(llama("A", stop="stop"))]
    sleeps = Sleeps()
    stream = stream_text("hi", model_id=LLAMA, api="invoke", client=client, retry=policy(sleeps))
    assert list(stream) == ["A"]
    assert stream.attempts == 2
    assert sleeps.calls == [0.25]


def test_retries_exception_frame_arriving_first(server: Server, client: Any) -> None:
    server.replies += [
        stream_reply(exception_frame("throttlingException")),
        stream_reply(exception_frame("modelTimeoutException")),
        stream_reply(llama("A", stop="stop")),
    ]
    sleeps = Sleeps()
    stream = stream_text("hi", model_id=LLAMA, api="invoke", client=client, retry=policy(sleeps))
    assert list(stream) == ["A"]
    assert sleeps.calls == [0.25, 0.5]


def test_gives_up_after_max_attempts(server: Server, client: Any) -> None:
    server.replies += [error_reply(429, "ThrottlingException")] * 3
    sleeps = Sleeps()
    stream = stream_text(
        "hi", model_id=LLAMA, api="invoke", client=client, retry=policy(sleeps, max_attempts=3)
    )
    with pytest.raises(ThrottlingError) as info:
        list(stream)
    assert info.value.code == "ThrottlingException"
    assert len(sleeps.calls) == 2


def test_gives_up_when_budget_is_spent(server: Server, client: Any) -> None:
    server.replies += [error_reply(429, "ThrottlingException")]
    sleeps = Sleeps()
    stream = stream_text(
        "hi", model_id=LLAMA, api="invoke", client=client, retry=policy(sleeps, budget=0.1)
    )
    with pytest.raises(ThrottlingError):
        list(stream)
    assert sleeps.calls == []


def test_never_retries_validation(server: Server, client: Any) -> None:
    server.replies += [error_reply(400, "ValidationException")]
    sleeps = Sleeps()
    with pytest.raises(ValidationError):
        list(stream_text("hi", model_id=LLAMA, api="invoke", client=client, retry=policy(sleeps)))
    assert sleeps.calls == []


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("throttlingException", ThrottlingError),
        ("modelStreamErrorException", ModelStreamError),
        ("internalServerException", InternalServerError),
        ("serviceUnavailableException", ServiceUnavailableError),
        ("validationException", ValidationError),
        ("modelTimeoutException", ModelTimeoutError),
    ],
)
def test_exception_frame_after_text_raises_typed_error_never_retries(
    server: Server, client: Any, code: str, error: type[Exception]
) -> None:
    server.replies += [stream_reply(llama("par"), llama("tial"), exception_frame(code))]
    sleeps = Sleeps()
    stream = stream_text("hi", model_id=LLAMA, api="invoke", client=client, retry=policy(sleeps))
    got: list[str] = []
    with pytest.raises(error) as info:
        got.extend(stream)
    assert got == ["par", "tial"]
    assert info.value.code == code  # type: ignore[attr-defined]
    assert stream.stop is None
    assert sleeps.calls == []
    assert len(server.requests) == 1


def test_converse_exception_frame_after_text(server: Server, client: Any) -> None:
    delta = converse_frame("contentBlockDelta", {"delta": {"text": "x"}, "contentBlockIndex": 0})
    server.replies += [stream_reply(delta, exception_frame("modelStreamErrorException"))]
    got: list[str] = []
    with pytest.raises(ModelStreamError):
        got.extend(
            stream_text("hi", model_id="m", client=client, retry=RetryPolicy(max_attempts=1))
        )
    assert got == ["x"]


def test_stream_cut_without_stop_raises(server: Server, client: Any) -> None:
    server.replies.append(stream_reply(llama("Hel"), llama("lo")))
    got: list[str] = []
    with pytest.raises(IncompleteStreamError):
        got.extend(stream_text("hi", model_id=LLAMA, api="invoke", client=client))
    assert got == ["Hel", "lo"]


def test_converse_stream_cut_without_stop_raises(server: Server, client: Any) -> None:
    delta = converse_frame("contentBlockDelta", {"delta": {"text": "x"}, "contentBlockIndex": 0})
    server.replies.append(stream_reply(delta))
    with pytest.raises(IncompleteStreamError):
        list(stream_text("hi", model_id="m", client=client))


def test_chunk_that_is_not_json(server: Server, client: Any) -> None:
    server.replies.append(stream_reply(llama("ok"), chunk_frame(b"{not json")))
    got: list[str] = []
    with pytest.raises(MalformedChunkError):
        got.extend(stream_text("hi", model_id=LLAMA, api="invoke", client=client))
    assert got == ["ok"]


def test_unknown_model_id_for_invoke() -> None:
    with pytest.raises(UnknownModelError):
        stream_text("hi", model_id="acme.unknown-model", api="invoke", client=object())
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc"
    with pytest.raises(UnknownModelError):
        stream_text("hi", model_id=arn, api="invoke", client=object())


def test_closing_mid_stream_closes_the_connection(server: Server, client: Any) -> None:
    server.replies.append(stream_reply(llama("a"), endless_tail=llama("b")))
    stream = stream_text("hi", model_id=LLAMA, api="invoke", client=client)
    assert next(stream) == "a"
    assert next(stream) == "b"
    stream.close()
    assert server.client_left.wait(10)


def test_complete_text_raises_same_errors(server: Server, client: Any) -> None:
    server.replies += [error_reply(400, "ValidationException")]
    with pytest.raises(ValidationError):
        complete_text("hi", model_id=LLAMA, api="invoke", client=client)


def test_a_server_that_hangs_up_between_requests_costs_nothing(server: Server, client: Any) -> None:
    # The first answer's connection is closed by the server once the answer is out, without
    # a "Connection: close": the next call must notice, connect again and succeed.
    first = stream_reply(llama("A", stop="stop"))
    first.hang_up = True
    server.replies += [first, stream_reply(llama("B", stop="stop"))]
    assert "".join(stream_text("hi", model_id=LLAMA, api="invoke", client=client)) == "A"
    before = server.connections
    assert "".join(stream_text("hi", model_id=LLAMA, api="invoke", client=client)) == "B"
    assert server.connections == before + 1  # a new connection, and only one


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_the_default_client_uses_boto3s_endpoint_variable(
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    transport: str,
    fresh_default_clients: dict[str, Any],
) -> None:
    monkeypatch.setenv("BEDROCK_STREAM_BEDROCK_TRANSPORT", transport)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    server.replies.append(stream_reply(llama("A", stop="stop")))
    assert list(stream_text("hi", model_id=LLAMA, api="invoke")) == ["A"]
    default = client_module.default_client()
    assert client_module.default_client() is default
    if transport == "builtin":
        assert isinstance(default, BuiltinClient)
        assert default.endpoint.url == server.url
        return
    assert default.meta.endpoint_url == server.url
    assert default.meta.config.retries["total_max_attempts"] == 1
    assert default.meta.config.read_timeout >= 300


def test_import_does_not_load_botocore() -> None:
    code = "import bedrock_stream.bedrock, sys; assert 'botocore' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_200_that_is_not_an_event_stream_is_an_incomplete_answer(
    server: Server, client: Any
) -> None:
    # A proxy or a gateway answering for Bedrock: not a stream's bytes, on either transport.
    body = b'{"message": "hello from a proxy"}'
    server.replies.append(Reply(body, 200, {"Content-Type": "application/json"}))
    with pytest.raises(IncompleteStreamError):
        list(stream_text("hi", model_id=LLAMA, api="invoke", client=client))


def test_a_request_json_cannot_carry_is_refused_before_sending(server: Server, client: Any) -> None:
    options = {"additional_model_request_fields": {"top_k": Decimal("5")}}
    with pytest.raises(BedrockError, match="invalid request parameters") as caught:
        list(stream_events("hi", model_id="us.amazon.nova-pro-v1:0", client=client, **options))
    assert "Decimal" not in str(caught.value) and server.requests == []
