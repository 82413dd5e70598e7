"""Latency-optimized inference on the priority tier, and what the response says was used."""

from bedrock_stream.bedrock import stream_events

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def fast(question: str) -> tuple[str | None, str | None]:
    stream = stream_events(
        question, model_id=MODEL_ID, latency="optimized", service_tier="priority", max_tokens=300
    )
    for _ in stream:
        pass
    reply = stream.reply()
    return reply.latency, reply.service_tier
