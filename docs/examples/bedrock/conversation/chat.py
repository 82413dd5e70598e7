"""A multi-turn chat: each reply's assistant turn goes back into the history."""

from bedrock_stream.bedrock import TextDelta, stream_events

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def chat(questions: list[str]) -> list[str]:
    history: list[dict] = []
    answers = []
    for question in questions:
        history.append({"role": "user", "content": question})
        stream = stream_events(history, model_id=MODEL_ID, system="Be brief.", max_tokens=400)
        answers.append("".join(e.text for e in stream if isinstance(e, TextDelta)))
        history.append(stream.reply().message)  # the turn as Converse wants it back
    return answers
