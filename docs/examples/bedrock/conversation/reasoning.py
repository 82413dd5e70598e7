"""Reasoning, and a second turn that sends the first one's reasoning back with its signature."""

from bedrock_stream.bedrock import ReasoningDelta, complete_reply, stream_events

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
THINK = {"budget_tokens": 1024}  # Anthropic's thinking budget; Nova 2 and gpt-oss take effort


def think_twice(question: str, follow_up: str) -> tuple[str, str]:
    history: list[dict] = [{"role": "user", "content": question}]
    stream = stream_events(history, model_id=MODEL_ID, reasoning=THINK, max_tokens=2048)
    thought = "".join(e.text for e in stream if isinstance(e, ReasoningDelta))
    # With reasoning on, the next turn must carry the reasoning block as it came, signed.
    history += [stream.reply().message, {"role": "user", "content": follow_up}]
    second = complete_reply(history, model_id=MODEL_ID, reasoning=THINK, max_tokens=2048)
    return thought, second.text
