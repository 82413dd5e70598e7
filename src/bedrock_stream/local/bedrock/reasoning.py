"""Reasoning (extended thinking) on the emulator: which models have it, its signature, checks.

Reasoning is switched on by Converse's ``additionalModelRequestFields`` ``thinking``
(``{"type": "enabled", "budget_tokens": N}``, Anthropic models) or ``reasoningConfig``
(``{"type": "enabled", ...}``, Amazon Nova 2), and by the Anthropic invoke body's
``thinking``. The answer then opens with a reasoning block whose signature is an HMAC-SHA256
of its text under the emulator's fixed key (:func:`signature`): a conversation that echoes
the block back unchanged is accepted, one with another signature is refused as Bedrock
refuses it. A prompt holding Anthropic's documented test string
(:data:`REDACTED_TRIGGER`) gets redacted reasoning instead: opaque data the emulator can
check in turn (:func:`redacted_data`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bedrock_stream.bedrock.families import base_model_id

from .schema import invalid, malformed

if TYPE_CHECKING:
    from .conversation import Conversation

__all__ = [
    "REDACTED_TRIGGER",
    "check_anthropic_turns",
    "check_echoed",
    "has_reasoning",
    "redacted_data",
    "requested",
    "signature",
]

REDACTED_TRIGGER = (
    "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_"
    "46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB"
)
"""Anthropic's test string for redacted thinking (the extended thinking guide:
https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking)."""

_KEY = b"bedrock-stream local emulator: reasoning signatures"
_MODELS = re.compile(
    r"^(?:anthropic\.claude-(?:3-7-sonnet|(?:sonnet|opus|haiku)-[4-9])|amazon\.nova-2-)"
)
"""Models with reasoning: Claude 3.7 Sonnet and every Claude 4 or later; Amazon Nova 2."""
_MODEL_ERROR = "The model returned the following errors: "


def has_reasoning(model_id: str) -> bool:
    """Whether the model can reason (extended thinking, Nova 2 ``reasoningConfig``)."""
    return bool(_MODELS.match(base_model_id(model_id)))


def requested(
    model_id: str, fields: Mapping[str, Any], *, anthropic: bool, max_tokens: int | None = None
) -> bool:
    """Whether ``fields`` (the model's own request fields) switch reasoning on.

    Raises:
        ServiceError: reasoning asked of a model that has none, a budget below 1024 tokens,
            or one not below ``max_tokens`` (Anthropic's reported words).
            Anthropic models answer in Anthropic's words ("Extra inputs are not permitted"),
            the others in the JSON-schema words of their invoke bodies; the emulator's wording
            for this case (no recording).
    """
    on = False
    for key in ("thinking", "reasoningConfig"):
        value = fields.get(key)
        if value is None:
            continue
        enabled = isinstance(value, Mapping) and value.get("type") == "enabled"
        suited = has_reasoning(model_id) and (key == "thinking") == anthropic
        if not suited:
            if anthropic:
                raise invalid(f"{_MODEL_ERROR}{key}: Extra inputs are not permitted")
            raise malformed(f"#: extraneous key [{key}] is not permitted")
        if enabled and key == "thinking":
            budget = value.get("budget_tokens")
            if not isinstance(budget, int) or budget < 1024:
                raise invalid(
                    f"{_MODEL_ERROR}thinking.enabled.budget_tokens: Input should be greater "
                    "than or equal to 1024"
                )
            if max_tokens is not None and max_tokens <= budget:
                raise invalid(
                    f"{_MODEL_ERROR}`max_tokens` must be greater than `thinking.budget_tokens`."
                )
        on = on or enabled
    return on


def signature(text: str) -> str:
    """Return the signature of ``text``: base64 of its HMAC-SHA256 under the emulator's key."""
    mac = hmac.new(_KEY, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def redacted_data(seed: bytes) -> str:
    """Opaque redacted reasoning (base64): 32 bytes from ``seed`` and their MAC."""
    nonce = hashlib.sha256(seed + b"redacted").digest()
    return base64.b64encode(nonce + hmac.new(_KEY, nonce, hashlib.sha256).digest()).decode()


def _redacted_ok(data: str) -> bool:
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        return False
    nonce, mac = raw[:32], raw[32:]
    return len(raw) == 64 and hmac.compare_digest(
        mac, hmac.new(_KEY, nonce, hashlib.sha256).digest()
    )


def check_echoed(conversation: Conversation) -> None:
    """Refuse reasoning echoed back with a signature (or redacted data) it was not given.

    Raises:
        ServiceError: Anthropic's reported "Invalid `signature` in `thinking` block", with
            Bedrock's "The model returned the following errors: " before it.
    """
    for message in conversation.messages:
        if message.role != "assistant":
            continue
        for block in message.blocks:
            if block.kind == "reasoning" and not hmac.compare_digest(
                block.signature, signature(block.text)
            ):
                raise invalid(
                    f"{_MODEL_ERROR}{block.path}: Invalid `signature` in `thinking` block"
                )
            if block.kind == "redacted" and not _redacted_ok(block.signature):
                raise invalid(
                    f"{_MODEL_ERROR}{block.path}: Invalid `data` in `redacted_thinking` block"
                )


_DOCS = "https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking"


def check_anthropic_turns(conversation: Conversation) -> None:
    """Refuse what Claude refuses with thinking on: a forced tool, an unthinking tool turn.

    Raises:
        ServiceError: Anthropic's reported words after Bedrock's prefix, for a ``toolChoice``
            that forces a tool, and for a tool loop whose last assistant message does not
            start with its (echoed) reasoning.
    """
    if not conversation.reasoning:
        return
    if conversation.tool_choice in ("any", "tool"):
        raise invalid(
            f"{_MODEL_ERROR}Thinking may not be enabled when tool_choice forces tool use."
        )
    last = conversation.last_user
    if last is None or not any(b.kind == "tool_result" for b in last.blocks):
        return
    previous = conversation.messages[-2] if len(conversation.messages) > 1 else None
    first = previous.blocks[0].kind if previous and previous.blocks else None
    if previous is not None and first not in ("reasoning", "redacted"):
        found = {"tool_use": "tool_use", None: "nothing"}.get(first, "text")
        raise invalid(
            f"{_MODEL_ERROR}messages.{previous.index}.content.0.type: Expected `thinking` or "
            f"`redacted_thinking`, but found `{found}`. When `thinking` is enabled, a final "
            "`assistant` message must start with a thinking block (preceeding the lastmost set "
            "of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks "
            "from previous turns. To avoid this requirement, disable `thinking`. Please consult "
            f"our documentation at {_DOCS}"
        )
