"""DeepSeek-R1: a raw prompt in its chat template; the reasoning comes before ``</think>``.

The wire numbers no blocks: the reasoning is block 0 and the answer's text the next
(:mod:`.blocks`), as ConverseStream numbers R1's blocks. A chunk a guardrail flagged
(``amazon-bedrock-guardrailAction``) carries the guardrail's message, which has no
``</think>``: its text is the answer's, and the reasoning ends there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import UnsupportedOptionError
from ..events import Event, ReasoningDelta, TextDelta
from ..invoke_views import text_only
from .base import ChunkFn, FamilyCodec, InvokeRequest, as_chunk, put, stop
from .blocks import Blocks

if TYPE_CHECKING:
    from ..request_options import Reasoning

__all__ = ["CODEC"]

_THINK_END = "</think>"
_BAR = "\uff5c"  # DeepSeek's chat template uses FULLWIDTH VERTICAL LINE


def build_body(r: InvokeRequest) -> dict[str, Any]:
    """Build a DeepSeek body: the template opens the assistant's ``<think>``."""
    system, turns = text_only(r)
    text = "".join(f"<{_BAR}{role.title()}{_BAR}>{t}" for role, t in turns)
    prompt = f"{system or ''}{text}<{_BAR}Assistant{_BAR}><think>\n"
    body = {"prompt": prompt, "max_tokens": r.max_tokens}
    put(body, temperature=r.temperature, top_p=r.top_p, stop=r.stop_sequences)
    return body


def reasoning_fields(reasoning: Reasoning, family: str) -> dict[str, Any]:
    """Accept reasoning with no setting: DeepSeek-R1 always reasons and has no field for it."""
    if reasoning:
        raise UnsupportedOptionError(
            f"the {family} model always reasons; it has no {' or '.join(sorted(reasoning))}"
        )
    return {}


class _Stream:
    """One stream: text is reasoning until ``</think>``, which may be split across chunks."""

    __slots__ = ("_after_think", "_blocks", "_in_think", "_pending")

    def __init__(self) -> None:
        self._blocks = Blocks()
        self._in_think = True
        self._after_think = False
        self._pending = ""

    def feed(self, chunk: Mapping[str, Any]) -> list[Event]:
        out: list[Event] = []
        if self._in_think and chunk.get("amazon-bedrock-guardrailAction") == "INTERVENED":
            out.extend(self._flush_think())
            self._in_think = False
        for choice in chunk.get("choices") or ():
            if choice.get("text"):
                out.extend(self._split_think(str(choice["text"])))
            raw = choice.get("stop_reason") or choice.get("finish_reason")
            if raw is not None:
                out.extend(self._flush_think())
                out.extend(self._blocks.stop_all())
                out.append(stop(raw))
        return out

    def _split_think(self, text: str) -> list[Event]:
        if not self._in_think:
            if self._after_think:  # the newlines after "</think>" may come in later chunks
                text = text.lstrip("\n")
                self._after_think = not text
            return [TextDelta(text, self._blocks.index("text"))] if text else []
        text = self._pending + text
        self._pending = ""
        head, sep, tail = text.partition(_THINK_END)
        out: list[Event] = []
        if sep:
            self._in_think = False
            self._after_think = True
            if head:
                out.append(self._reasoning(head))
            return out + self._split_think(tail)
        # Keep a possible partial "</think>" for the next chunk.
        keep = next(
            (n for n in range(len(_THINK_END) - 1, 0, -1) if head.endswith(_THINK_END[:n])), 0
        )
        if keep:
            self._pending, head = head[-keep:], head[:-keep]
        if head:
            out.append(self._reasoning(head))
        return out

    def _reasoning(self, text: str) -> ReasoningDelta:
        return ReasoningDelta(text=text, index=self._blocks.index("reasoning"))

    def _flush_think(self) -> list[Event]:
        pending, self._pending = self._pending, ""
        return [self._reasoning(pending)] if pending else []


def new_stream() -> ChunkFn:
    """Return the chunk parser of a new stream (its body is parsed as one chunk too)."""
    return _Stream().feed


CODEC = FamilyCodec(
    prefixes=("deepseek.",),
    build_body=build_body,
    new_stream=new_stream,
    parse_body=as_chunk,
    reasoning_fields=reasoning_fields,
)
