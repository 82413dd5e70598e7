"""Converse's answer shapes: ConverseStream events and the Converse body, every block (no I/O).

Blocks come in the order of :mod:`.turn`: reasoning (``reasoningContent`` text deltas, then
a ``signature`` delta; or one ``redactedContent`` delta), text (no ``contentBlockStart``, as
recorded; a ``citation`` delta after the cited opening), then each tool use
(``contentBlockStart`` with ``toolUseId`` and ``name``, its input JSON in ``toolUse.input``
deltas, one per chunk of the family's chunking). ``metadata`` carries the usage (cache counts
after a cache point), the guardrail trace, the service tier and the latency mode asked for.
Shapes follow the recordings in ``tests/data/bedrock-recordings`` and botocore's
``bedrock-runtime`` service model.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from . import guardrails
from .family import FAMILIES
from .family.base import Piece, StopNames, converse_usage, stop_name

if TYPE_CHECKING:
    from .formats import Answer
    from .turn import ToolCall

__all__ = ["ConverseEvent", "converse_body", "converse_events", "pieces"]

_CONVERSE_STOPS: StopNames = ("end_turn", "max_tokens", "stop_sequence")


class ConverseEvent(NamedTuple):
    """One ConverseStream event: its name, payload, output tokens and kind (for faults)."""

    name: str
    payload: dict[str, Any]
    tokens: int = 0
    kind: str = ""


def pieces(a: Answer, tokens: tuple[str, ...], start: int = 0) -> list[Piece]:
    """Split ``tokens`` into the family's stream chunks: ``(text, start, stop)``."""
    profile = FAMILIES[a.request.family].profile
    return [("".join(tokens[s:e]), start + s, start + e) for s, e in profile.chunks(len(tokens))]


def converse_stop(a: Answer) -> str:
    """Return the Converse stop reason (``guardrail_intervened`` and ``tool_use`` as they are)."""
    if a.generation.stop == "guardrail_intervened":
        return "guardrail_intervened"
    return stop_name(_CONVERSE_STOPS, a.generation)


def tool_use_id(a: Answer, call: ToolCall) -> str:
    """Return a Converse ``toolUseId``: ``tooluse_`` and 22 characters, as recorded."""
    return "tooluse_" + a.ident(f"tool{call.index}")


def _fault_trace() -> dict[str, Any]:
    blocked = {"action": "BLOCKED", "confidence": "HIGH", "type": "MISCONDUCT", "detected": True}
    return {
        "guardrail": {
            "outputAssessments": {"emulator": [{"contentPolicy": {"filters": [blocked]}}]}
        }
    }


def trace(a: Answer) -> dict[str, Any] | None:
    """Return the guardrail trace: the request's guardrail's, or the ``guardrail`` fault's."""
    guard = a.request.conversation.guardrail
    if a.turn.blocked is not None and guard is not None:
        return guardrails.trace(guard, a.turn.blocked)
    if a.generation.stop == "guardrail_intervened" and guard is None:
        return _fault_trace()
    return None


def _delta(index: int, delta: dict[str, Any], tokens: int, kind: str) -> ConverseEvent:
    return ConverseEvent(
        "contentBlockDelta", {"contentBlockIndex": index, "delta": delta}, tokens, kind
    )


def _stop(index: int) -> ConverseEvent:
    return ConverseEvent("contentBlockStop", {"contentBlockIndex": index}, 0, "block-stop")


def _reasoning(a: Answer, index: int) -> list[ConverseEvent]:
    thought = a.turn.thought
    assert thought is not None
    if thought.redacted is not None:
        delta = {"reasoningContent": {"redactedContent": thought.redacted}}
        return [_delta(index, delta, len(thought.tokens), "reasoning"), _stop(index)]
    out = [
        _delta(index, {"reasoningContent": {"text": text}}, e - s, "reasoning")
        for text, s, e in pieces(a, thought.tokens)
    ]
    out.append(
        _delta(index, {"reasoningContent": {"signature": thought.signature}}, 0, "signature")
    )
    return [*out, _stop(index)]


def _text(a: Answer, index: int) -> list[ConverseEvent]:
    tokens = a.generation.tokens
    cited = a.turn.cited
    split = min(len(cited.lead_tokens), len(tokens)) if cited else 0
    out = [_delta(index, {"text": text}, e - s, "text") for text, s, e in pieces(a, tokens[:split])]
    if cited is not None:
        out.append(_delta(index, {"citation": cited.citation()}, 0, "citation"))
    out += [
        _delta(index, {"text": text}, e - s, "text")
        for text, s, e in pieces(a, tokens[split:], split)
    ]
    if FAMILIES[a.request.family].trailing_empty_delta:
        out.append(_delta(index, {"text": ""}, 0, "text"))
    return [*out, _stop(index)]


def _tool(a: Answer, call: ToolCall, index: int) -> list[ConverseEvent]:
    start = {"toolUse": {"toolUseId": tool_use_id(a, call), "name": call.name}}
    out = [
        ConverseEvent(
            "contentBlockStart", {"contentBlockIndex": index, "start": start}, 0, "tool-start"
        )
    ]
    out += [
        _delta(index, {"toolUse": {"input": text}}, e - s, "tool-input")
        for text, s, e in pieces(a, call.tokens)
    ]
    return [*out, _stop(index)]


def _echoes(a: Answer) -> dict[str, Any]:
    conversation = a.request.conversation
    out: dict[str, Any] = {}
    if conversation.service_tier is not None:
        out["serviceTier"] = {"type": conversation.service_tier}
    if conversation.latency is not None:
        out["performanceConfig"] = {"latency": conversation.latency}
    return out


def converse_events(a: Answer) -> list[ConverseEvent]:
    """Build the ConverseStream events of an answer."""
    out = [ConverseEvent("messageStart", {"role": "assistant"}, 0, "message-start")]
    blocks = 0
    if a.turn.thought is not None:
        out += _reasoning(a, blocks)
        blocks += 1
    if a.generation.tokens or not a.turn.calls:
        out += _text(a, blocks)
        blocks += 1
    for call in a.turn.calls:
        out += _tool(a, call, blocks)
        blocks += 1
    out.append(ConverseEvent("messageStop", {"stopReason": converse_stop(a)}, 0, "message-stop"))
    usage = converse_usage(a)
    if a.turn.cached:  # as recorded: the stream's metadata has both spellings
        usage.update(
            cacheReadInputTokenCount=a.turn.cache_read,
            cacheWriteInputTokenCount=a.turn.cache_write,
        )
    metadata: dict[str, Any] = {"metrics": {"latencyMs": a.latency_ms}, "usage": usage}
    found = trace(a)
    if found is not None:
        metadata["trace"] = found
    metadata.update(_echoes(a))
    out.append(ConverseEvent("metadata", metadata, 0, "metadata"))
    return out


def _content(a: Answer) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    thought = a.turn.thought
    if thought is not None and thought.redacted is not None:
        content.append({"reasoningContent": {"redactedContent": thought.redacted}})
    elif thought is not None:
        text = {"text": thought.text, "signature": thought.signature}
        content.append({"reasoningContent": {"reasoningText": text}})
    tokens = a.generation.tokens
    cited = a.turn.cited
    if cited is not None:
        split = min(len(cited.lead_tokens), len(tokens))
        cited_text = {
            "content": [{"text": "".join(tokens[:split])}],
            "citations": [cited.citation()],
        }
        content.append({"citationsContent": cited_text})
        tokens = tokens[split:]
    if tokens or not (a.turn.calls or cited):
        content.append({"text": "".join(tokens)})
    for call in a.turn.calls:
        use = {"toolUseId": tool_use_id(a, call), "name": call.name, "input": json.loads(call.json)}
        content.append({"toolUse": use})
    return content


def converse_body(a: Answer) -> dict[str, Any]:
    """Build a Converse response body."""
    body: dict[str, Any] = {
        "metrics": {"latencyMs": a.latency_ms},
        "output": {"message": {"content": _content(a), "role": "assistant"}},
        "stopReason": converse_stop(a),
        "usage": converse_usage(a),
    }
    found = trace(a)
    if found is not None:
        body["trace"] = found
    body.update(_echoes(a))
    return body
