"""Request builders for InvokeModel(-WithResponseStream), per family, and Converse(Stream)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .families import Family

__all__ = ["Messages", "build_converse_request", "build_invoke_body", "to_messages"]

Messages = Sequence[Mapping[str, Any]]
"""``[{"role": "user", "content": "text" | [{"text": ...}]}, ...]`` (Converse shape)."""


def to_messages(prompt_or_messages: str | Messages) -> list[dict[str, Any]]:
    """Normalize a prompt or messages to Converse messages (content as a block list)."""
    if isinstance(prompt_or_messages, str):
        return [{"role": "user", "content": [{"text": prompt_or_messages}]}]
    out = []
    for message in prompt_or_messages:
        content = message["content"]
        if isinstance(content, str):
            content = [{"text": content}]
        out.append({"role": message["role"], "content": list(content)})
    return out


def _plain(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(m["role"], "".join(str(b.get("text", "")) for b in m["content"])) for m in messages]


def build_converse_request(
    model_id: str,
    prompt_or_messages: str | Messages,
    *,
    max_tokens: int,
    system: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``converse`` / ``converse_stream``."""
    config: dict[str, Any] = {"maxTokens": max_tokens}
    if temperature is not None:
        config["temperature"] = temperature
    if top_p is not None:
        config["topP"] = top_p
    if stop_sequences:
        config["stopSequences"] = list(stop_sequences)
    request: dict[str, Any] = {
        "modelId": model_id,
        "messages": to_messages(prompt_or_messages),
        "inferenceConfig": config,
    }
    if system is not None:
        request["system"] = [{"text": system}]
    return request


def _llama_prompt(system: str | None, turns: list[tuple[str, str]]) -> str:
    parts = ["<|begin_of_text|>"]
    if system:
        parts.append(f"<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>")
    for role, text in turns:
        parts.append(f"<|start_header_id|>{role}<|end_header_id|>\n\n{text}<|eot_id|>")
    parts.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
    return "".join(parts)


def _text_prompt(system: str | None, turns: list[tuple[str, str]]) -> str:
    lines = [system] if system else []
    lines += [f"{'User' if role == 'user' else 'Bot'}: {text}" for role, text in turns]
    return "\n".join(lines) + ("\nBot:" if len(turns) > 1 or system else "")


def build_invoke_body(
    family: Family,
    prompt_or_messages: str | Messages,
    *,
    max_tokens: int,
    system: str | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Build the JSON body for ``invoke_model(_with_response_stream)`` of ``family``."""
    messages = to_messages(prompt_or_messages)
    turns = _plain(messages)
    stops = list(stop_sequences or ())
    body: dict[str, Any]
    if family == "anthropic":
        body = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": max_tokens,
            "messages": [
                {"role": role, "content": [{"type": "text", "text": text}]} for role, text in turns
            ],
        }
        if system:
            body["system"] = system
        _put(body, temperature=temperature, top_p=top_p, stop_sequences=stops)
    elif family == "amazon-nova":
        config: dict[str, Any] = {"maxTokens": max_tokens}
        _put(config, temperature=temperature, topP=top_p, stopSequences=stops)
        body = {"schemaVersion": "messages-v1", "messages": messages, "inferenceConfig": config}
        if system:
            body["system"] = [{"text": system}]
    elif family == "amazon-titan-text":
        config = {"maxTokenCount": max_tokens}
        _put(config, temperature=temperature, topP=top_p, stopSequences=stops)
        body = {"inputText": _text_prompt(system, turns), "textGenerationConfig": config}
    elif family == "meta-llama":
        body = {"prompt": _llama_prompt(system, turns), "max_gen_len": max_tokens}
        _put(body, temperature=temperature, top_p=top_p)
    elif family == "mistral":
        body = {
            "prompt": f"<s>[INST] {_text_prompt(system, turns)} [/INST]",
            "max_tokens": max_tokens,
        }
        _put(body, temperature=temperature, top_p=top_p, stop=stops)
    elif family == "cohere-command":
        body = {"prompt": _text_prompt(system, turns), "max_tokens": max_tokens, "stream": True}
        _put(body, temperature=temperature, p=top_p, stop_sequences=stops)
    elif family == "cohere-command-r":
        history = [
            {"role": "USER" if role == "user" else "CHATBOT", "message": text}
            for role, text in turns[:-1]
        ]
        body = {"message": turns[-1][1], "max_tokens": max_tokens}
        _put(body, chat_history=history, preamble=system, temperature=temperature, p=top_p)
        _put(body, stop_sequences=stops)
    elif family == "ai21-jurassic":
        body = {"prompt": _text_prompt(system, turns), "maxTokens": max_tokens}
        _put(body, temperature=temperature, topP=top_p, stopSequences=stops)
    elif family == "deepseek":
        bar = "\uff5c"  # DeepSeek's chat template uses FULLWIDTH VERTICAL LINE
        text = "".join(f"<{bar}{role.title()}{bar}>{t}" for role, t in turns)
        prompt = f"{system or ''}{text}<{bar}Assistant{bar}><think>\n"
        body = {"prompt": prompt, "max_tokens": max_tokens}
        _put(body, temperature=temperature, top_p=top_p, stop=stops)
    else:  # ai21-jamba, openai (gpt-oss, Qwen, Writer): OpenAI-style chat
        chat = ([{"role": "system", "content": system}] if system else []) + [
            {"role": role, "content": text} for role, text in turns
        ]
        body = {"messages": chat, "max_tokens": max_tokens}
        _put(body, temperature=temperature, top_p=top_p, stop=stops)
    return body


def _put(target: dict[str, Any], **values: Any) -> None:
    for key, value in values.items():
        if value is not None and value != []:
            target[key] = value
