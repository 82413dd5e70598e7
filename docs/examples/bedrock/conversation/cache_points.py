"""Prompt caching: a cache point after a long system prompt; the next call reads it."""

from bedrock_stream.bedrock import Usage, cache_point, complete_reply, text_block

MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def ask_twice(instructions: str, question: str) -> tuple[Usage | None, Usage | None]:
    system = [text_block(instructions), cache_point()]  # everything before it is cached
    first = complete_reply(question, model_id=MODEL_ID, system=system, max_tokens=300)
    second = complete_reply(question, model_id=MODEL_ID, system=system, max_tokens=300)
    return first.usage, second.usage  # cache_write_tokens, then cache_read_tokens
