"""A guardrail in asynchronous mode: text streams at once, an intervention may follow it."""

from bedrock_stream.bedrock import GuardrailConfig, TextDelta, stream_events

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
GUARDRAIL: GuardrailConfig = {
    "guardrailIdentifier": "gr-example",  # your guardrail's id or ARN
    "guardrailVersion": "1",
    "streamProcessingMode": "async",  # "sync" (the default) checks before sending
    "trace": "enabled",
}


def guarded(messages: list[dict]) -> tuple[str, bool]:
    stream = stream_events(messages, model_id=MODEL_ID, guardrail_config=GUARDRAIL, max_tokens=500)
    text = "".join(e.text for e in stream if isinstance(e, TextDelta))
    stop = stream.reply().stop
    assert stop is not None  # a stream that ends without its stop raises instead
    # Async mode: what was sent before the intervention is already with the client.
    return text, stop.reason == "guardrail_intervened"
