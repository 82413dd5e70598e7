"""stream_events and complete_reply through a real boto3 client: every event, held, retried."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from bedrock_replay import (
    Server,
    converse_frame,
    exception_frame,
    load_recording,
    recordings,
    reply_for,
    stream_reply,
)

from bedrock_stream.bedrock import (
    BlockStart,
    BlockStop,
    ChunkParser,
    Citation,
    IncompleteStreamError,
    MessageStart,
    PerformanceConfig,
    RawEvent,
    ReasoningDelta,
    RetryPolicy,
    ServiceTier,
    Stop,
    TextDelta,
    ThrottlingError,
    ToolCall,
    ToolInputDelta,
    ToolInputError,
    ToolUseStart,
    UnsupportedOptionError,
    Usage,
    complete_reply,
    converse_events,
    resolve_family,
    stream_events,
    stream_text,
)

THOUGHT = {"reasoningText": {"text": "The user wants the weather.", "signature": "c2ln"}}
TOOL_USE = {"toolUseId": "tu_1", "name": "weather", "input": {"city": "Paris"}}
IMAGE_START = {"contentBlockIndex": 0, "start": {"image": {"format": "png"}}}
DATA = Path(__file__).parents[1] / "data"
MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
NO_RETRY = RetryPolicy(max_attempts=1)


def frames(*events: tuple[str, dict[str, Any]]) -> list[bytes]:
    return [converse_frame(name, payload) for name, payload in events]


def delta(index: int, **member: Any) -> tuple[str, dict[str, Any]]:
    return "contentBlockDelta", {"contentBlockIndex": index, "delta": member}


WHOLE_TURN = [
    ("messageStart", {"role": "assistant"}),
    delta(0, reasoningContent={"text": "The user wants "}),
    delta(0, reasoningContent={"text": "the weather."}),
    delta(0, reasoningContent={"signature": "c2ln"}),
    ("contentBlockStop", {"contentBlockIndex": 0}),
    delta(1, text="Per the guide, "),
    delta(
        1,
        citation={
            "title": "Guide",
            "sourceContent": [{"text": "rivers flow"}],
            "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 11}},
        },
    ),
    ("contentBlockStop", {"contentBlockIndex": 1}),
    (
        "contentBlockStart",
        {"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "tu_1", "name": "weather"}}},
    ),
    delta(2, toolUse={"input": '{"city": '}),
    delta(2, toolUse={"input": '"Paris"}'}),
    ("contentBlockStop", {"contentBlockIndex": 2}),
    ("messageStop", {"stopReason": "tool_use"}),
    (
        "metadata",
        {
            "usage": {"inputTokens": 12, "outputTokens": 30, "totalTokens": 42},
            "metrics": {"latencyMs": 800},
            "performanceConfig": {"latency": "optimized"},
            "serviceTier": {"type": "priority"},
        },
    ),
]


def test_every_event_of_a_whole_turn_arrives_in_order(server: Server, client: Any) -> None:
    server.replies.append(stream_reply(*frames(*WHOLE_TURN)))
    stream = stream_events("weather?", model_id=MODEL, client=client, retry=NO_RETRY)
    events = list(stream)
    call = ToolCall("tu_1", "weather", {"city": "Paris"}, 2)
    assert events == [
        MessageStart("assistant"),
        ReasoningDelta("The user wants ", index=0),
        ReasoningDelta("the weather.", index=0),
        ReasoningDelta(signature="c2ln", index=0),
        BlockStop(0),
        TextDelta("Per the guide, ", 1),
        Citation(
            1,
            title="Guide",
            text="rivers flow",
            location={"documentChar": {"documentIndex": 0, "start": 0, "end": 11}},
        ),
        BlockStop(1),
        ToolUseStart("tu_1", "weather", 2),
        ToolInputDelta('{"city": ', 2),
        ToolInputDelta('"Paris"}', 2),
        BlockStop(2),
        call,
        Stop("tool_use", "tool_use"),
        Usage(12, 30),
        events[-3],  # Metrics, checked below
        PerformanceConfig("optimized"),
        ServiceTier("priority"),
    ]
    reply = stream.reply()
    assert reply.metrics is not None and reply.metrics.invocation_latency_ms == 800
    assert reply.text == "Per the guide, "
    assert reply.reasoning_text == "The user wants the weather."
    assert reply.tool_calls == (call,)
    assert (reply.latency, reply.service_tier) == ("optimized", "priority")
    # the assistant turn to send back: reasoning with its signature, text, the tool use
    assert reply.message == {
        "role": "assistant",
        "content": [
            {"reasoningContent": THOUGHT},
            {"text": "Per the guide, "},
            {"toolUse": TOOL_USE},
        ],
    }


def test_an_event_no_type_models_arrives_raw(server: Server, client: Any) -> None:
    image = {"source": {"bytes": base64.b64encode(b"PNG").decode()}}
    server.replies.append(
        stream_reply(
            *frames(
                ("messageStart", {"role": "assistant"}),
                ("contentBlockStart", IMAGE_START),
                delta(0, image=image),
                ("contentBlockStop", {"contentBlockIndex": 0}),
                ("messageStop", {"stopReason": "end_turn"}),
            )
        )
    )
    events = list(stream_events("draw", model_id=MODEL, client=client, retry=NO_RETRY))
    assert BlockStart(0, "image", {"format": "png"}) in events
    raw = [e for e in events if isinstance(e, RawEvent)]
    assert len(raw) == 1 and raw[0].name == "contentBlockDelta"
    assert raw[0].data["delta"]["image"]["source"]["bytes"] == b"PNG"  # botocore decoded it


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


def test_events_before_the_first_content_are_held_so_a_throttle_retries(
    server: Server, client: Any
) -> None:
    server.replies += [
        stream_reply(
            converse_frame("messageStart", {"role": "assistant"}),
            exception_frame("throttlingException"),
        ),
        stream_reply(*frames(*WHOLE_TURN)),
    ]
    sleeps: list[float] = []
    clock = Clock()
    retry = RetryPolicy(sleep=sleeps.append, rand=lambda: 1.0, clock=clock)
    stream = stream_events("weather?", model_id=MODEL, client=client, retry=retry)
    events = list(stream)
    assert events.count(MessageStart("assistant")) == 1  # the first attempt's never reached us
    assert stream.attempts == 2 and sleeps == [0.25]
    # the clock ticks 0.5 s per reading: start, two attempts' worth, first content, stop
    assert stream.time_to_first_token == pytest.approx(1.0)
    tps = stream.output_tokens_per_second
    assert tps is not None and tps > 0
    assert stream.reply().time_to_first_token == stream.time_to_first_token


def test_an_empty_blocks_stop_and_a_raw_event_are_held_too_so_a_throttle_retries(
    server: Server, client: Any
) -> None:
    server.replies += [
        stream_reply(
            *frames(
                ("messageStart", {"role": "assistant"}),
                ("contentBlockStop", {"contentBlockIndex": 0}),
                ("somethingNew", {"detail": 1}),
            ),
            exception_frame("throttlingException"),
        ),
        stream_reply(*frames(*WHOLE_TURN)),
    ]
    sleeps: list[float] = []
    retry = RetryPolicy(sleep=sleeps.append, rand=lambda: 1.0)
    stream = stream_events("weather?", model_id=MODEL, client=client, retry=retry)
    events = list(stream)
    assert stream.attempts == 2 and sleeps == [0.25]
    assert events.count(MessageStart("assistant")) == 1
    assert not any(isinstance(e, RawEvent) for e in events)  # the failed attempt's


def test_held_events_are_released_by_a_stop_without_content(server: Server, client: Any) -> None:
    server.replies.append(
        stream_reply(
            *frames(
                ("messageStart", {"role": "assistant"}),
                ("messageStop", {"stopReason": "end_turn"}),
            )
        )
    )
    events = list(stream_events("hi", model_id=MODEL, client=client, retry=NO_RETRY))
    assert [type(e) for e in events] == [MessageStart, Stop]


def test_no_retry_once_a_tool_input_delta_was_delivered(server: Server, client: Any) -> None:
    server.replies.append(
        stream_reply(*frames(*WHOLE_TURN[:10]), exception_frame("throttlingException"))
    )
    sleeps: list[float] = []
    stream = stream_events(
        "weather?", model_id=MODEL, client=client, retry=RetryPolicy(sleep=sleeps.append)
    )
    seen: list[Any] = []

    def read() -> None:
        seen.extend(stream)

    with pytest.raises(ThrottlingError):
        read()
    assert ToolInputDelta('{"city": ', 2) in seen
    assert sleeps == [] and stream.attempts == 1
    assert stream.tool_calls == ()  # the call never completed


def test_a_stream_without_its_stop_is_incomplete(server: Server, client: Any) -> None:
    server.replies.append(stream_reply(*frames(*WHOLE_TURN[:12])))
    stream = stream_events("weather?", model_id=MODEL, client=client, retry=NO_RETRY)
    with pytest.raises(IncompleteStreamError):
        list(stream)
    assert stream.stop is None


def test_a_tool_input_that_is_not_json_raises_tool_input_error(server: Server, client: Any) -> None:
    broken = [*WHOLE_TURN[:9], delta(2, toolUse={"input": '{"city": "Par'}), *WHOLE_TURN[11:]]
    server.replies.append(stream_reply(*frames(*broken)))
    with pytest.raises(ToolInputError) as info:
        list(stream_events("weather?", model_id=MODEL, client=client, retry=NO_RETRY))
    assert info.value.name == "weather"


def test_stream_text_is_the_text_view(server: Server, client: Any) -> None:
    server.replies.append(stream_reply(*frames(*WHOLE_TURN)))
    stream = stream_text("weather?", model_id=MODEL, client=client, retry=NO_RETRY)
    assert list(stream) == ["Per the guide, "]
    assert stream.tool_uses == [
        {"id": "tu_1", "name": "weather", "input_json": '{"city": "Paris"}'}
    ]
    assert stream.reasoning_text == "The user wants the weather."
    assert stream.events.tool_calls[0].input == {"city": "Paris"}


def test_complete_reply_gives_the_aggregates_a_stream_gives(server: Server, client: Any) -> None:
    body = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [
                    {"reasoningContent": THOUGHT},
                    {"text": "Per the guide, "},
                    {"toolUse": TOOL_USE},
                ],
            }
        },
        "stopReason": "tool_use",
        "usage": {"inputTokens": 12, "outputTokens": 30, "totalTokens": 42},
        "metrics": {"latencyMs": 800},
        "performanceConfig": {"latency": "optimized"},
        "serviceTier": {"type": "priority"},
    }
    server.replies.append(reply_for_json(body))
    server.replies.append(stream_reply(*frames(*WHOLE_TURN)))
    buffered = complete_reply("weather?", model_id=MODEL, client=client, retry=NO_RETRY)
    streamed = stream_events("weather?", model_id=MODEL, client=client, retry=NO_RETRY)
    list(streamed)
    reply = streamed.reply()
    for name in ("text", "reasoning_text", "tool_calls", "stop", "usage", "message", "latency"):
        assert getattr(buffered, name) == getattr(reply, name), name
    assert buffered.service_tier == "priority"
    assert buffered.time_to_first_token is None


def reply_for_json(body: dict[str, Any]) -> Any:
    from bedrock_replay import Reply

    return Reply(json.dumps(body).encode(), 200, {"Content-Type": "application/json"})


# -- recordings: botocore's parsed events and our own reading of the frames agree ----------


def own_events(fixture: dict[str, Any]) -> list[Any]:
    """The recording's events read from its frames' JSON by our parsers alone."""
    out: list[Any] = []
    if fixture["operation"] == "ConverseStream":
        for frame in fixture["frames"]:
            name = frame["headers"][":event-type"]
            out += converse_events({name: frame["payload_json"]})
        return out
    parser = ChunkParser(resolve_family(fixture["model_id"]))
    for frame in fixture["frames"]:
        if frame["headers"].get(":message-type") == "event":
            out += parser.feed(frame["inner_chunk_json"])
    return out + parser.finish()


STREAMS = [
    name
    for name in recordings("InvokeModelWithResponseStream", "ConverseStream")
    if not load_recording(name).get("expected_error")
    and not load_recording(name).get("expected_exception")
]


@pytest.mark.parametrize("name", STREAMS)
def test_recording_reads_the_same_through_botocore_and_our_parsers(
    name: str, server: Server, client: Any
) -> None:
    fixture = load_recording(name)
    server.replies.append(reply_for(fixture))
    api = "converse" if fixture["operation"] == "ConverseStream" else "invoke"
    stream = stream_events("hello", model_id=fixture["model_id"], api=api, client=client)
    through_botocore = [e for e in stream if not isinstance(e, ToolCall)]
    assert through_botocore == own_events(fixture)
    reply = stream.reply()
    assert reply.text == fixture["expected_text"]
    assert reply.stop is not None and reply.stop.raw == fixture["expected_stop_reason"]
    if fixture.get("expected_usage"):
        assert reply.usage is not None
        assert reply.usage.input_tokens == fixture["expected_usage"]["input_tokens"]
        assert reply.usage.output_tokens == fixture["expected_usage"]["output_tokens"]
    for expected, call in zip(
        fixture.get("expected_tool_uses") or (), reply.tool_calls, strict=True
    ):
        assert (call.id, call.name) == (expected["id"], expected["name"])
        assert call.input == json.loads(expected["input_json"] or "{}")


def test_a_field_the_clients_botocore_lacks_is_refused_before_sending(
    server: Server, tmp_path: Any
) -> None:
    # A real client built from the first botocore model with Converse (1.34.116), as an old
    # Lambda runtime bundles it: serviceTier came later, so nothing may be sent.
    import shutil

    import boto3
    import botocore.session

    models = tmp_path / "bedrock-runtime" / "2023-09-30"
    models.mkdir(parents=True)
    shutil.copy(
        DATA / "botocore-models" / "bedrock-runtime-1.34.116.json", models / "service-2.json"
    )
    core = botocore.session.get_session()
    core.get_component("data_loader").search_paths.insert(0, str(tmp_path))
    old = boto3.Session(botocore_session=core).client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    assert (
        "serviceTier"
        not in old.meta.service_model.operation_model("ConverseStream").input_shape.members
    )
    stream = stream_events(
        "hi", model_id=MODEL, client=old, service_tier="priority", retry=NO_RETRY
    )
    with pytest.raises(UnsupportedOptionError) as info:
        list(stream)
    assert "serviceTier" in str(info.value) and "boto3" in str(info.value)
    assert server.requests == []  # refused before anything was sent


def test_botocore_errors_say_what_went_wrong_but_never_quote_the_prompt(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    from bedrock_stream.bedrock import BedrockError

    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKlocal")
    keyed = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=server.url)
    with pytest.raises(BedrockError) as info:
        list(stream_events("hi", model_id=MODEL, client=keyed, retry=NO_RETRY))
    assert "requires an HTTPS endpoint" in str(info.value)  # botocore's own words
    secret = 4242424242  # botocore's parameter errors quote the values they refuse
    bad = [{"role": "user", "content": [{"text": secret}]}]
    with pytest.raises(BedrockError) as info:
        list(stream_events(bad, model_id=MODEL, client=keyed, retry=NO_RETRY))
    assert "invalid request parameters" in str(info.value)
    assert str(secret) not in str(info.value)
    assert server.requests == []


def test_a_server_tool_round_trips_in_the_reply_message(
    server: Server, client: Any, bedrock_emulator: Any
) -> None:
    """Nova's code interpreter (recorded): its use and result are echoed as Bedrock sent them."""
    import botocore.session
    from botocore.validate import validate_parameters

    from bedrock_stream.bedrock.requests import build_converse_request

    fixture = load_recording("pydantic-ai-bedrock-model-code-execution-tool-stream.json")
    server.replies.append(reply_for(fixture))
    stream = stream_events("What is 1234 * 5678?", model_id=fixture["model_id"], client=client)
    list(stream)
    content = stream.reply().message["content"]
    server_use = next(b["toolUse"] for b in content if b.get("toolUse", {}).get("type"))
    result = next(b["toolResult"] for b in content if "toolResult" in b)
    assert server_use["type"] == "server_tool_use"
    assert result["toolUseId"] == server_use["toolUseId"]
    assert result["type"] == "nova_code_interpreter_result"
    assert result["content"] and all(set(piece) <= {"text", "json"} for piece in result["content"])
    history = [
        {"role": "user", "content": [{"text": "What is 1234 * 5678?"}]},
        stream.reply().message,
        {"role": "user", "content": [{"text": "And doubled?"}]},
    ]
    tools = {"toolConfig": fixture["request_body"]["toolConfig"]}
    request = build_converse_request(fixture["model_id"], history, max_tokens=100, extra=tools)
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    validate_parameters(request, model.operation_model("ConverseStream").input_shape)
    # and the emulator takes the history back, as Bedrock does
    answer = complete_reply(history, model_id=fixture["model_id"], extra=tools)  # its client
    assert answer.stop is not None  # answered (toolChoice any: with a call), not refused


PROMPT_ARN = "arn:aws:bedrock:us-east-1:123456789012:prompt/PROMPT12345:1"


@pytest.mark.parametrize("call", ["stream_events", "stream_text"])
def test_a_prompt_arn_sends_no_max_tokens_by_default(
    call: str, server: Server, client: Any
) -> None:
    server.replies.append(stream_reply(*frames(("messageStart", {"role": "assistant"}))))
    stream_call = stream_events if call == "stream_events" else stream_text
    stream = stream_call([], model_id=PROMPT_ARN, client=client, retry=NO_RETRY)
    with pytest.raises(IncompleteStreamError):
        list(stream)
    path, body = server.requests[-1]
    assert "inferenceConfig" not in body and "converse-stream" in path
    with pytest.raises(UnsupportedOptionError, match="inferenceConfig"):
        stream_events([], model_id=PROMPT_ARN, client=client, max_tokens=10)
