"""What a request asks of the emulated model beyond plain text, in one neutral form (no I/O).

Converse bodies and each family's invoke body are read into a :class:`Conversation`: the
tools offered and the choice among them, the messages as neutral :class:`Block` s (text, tool
uses and results, reasoning echoed back, documents, cache points), reasoning switched on, the
guardrail, the service tier and the latency mode. The rules that act on it are in
:mod:`.tools`, :mod:`.reasoning`, :mod:`.citations`, :mod:`.prompt_cache` and
:mod:`.guardrails`; :mod:`.turn` combines them into the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .schema import invalid

__all__ = [
    "GUARDRAIL_BODY_KEY",
    "LATENCIES",
    "SERVICE_TIERS",
    "Block",
    "BlockKind",
    "Conversation",
    "GuardrailConfig",
    "Message",
    "Tool",
    "converse_options",
    "enum_value",
    "invoke_options",
]

BlockKind = Literal[
    "text", "tool_use", "tool_result", "reasoning", "redacted", "document", "cache_point"
]


@dataclass(frozen=True)
class Block:
    """One content block of a message, whatever the wire called it."""

    kind: BlockKind
    text: str = ""
    """Text, a tool result's text, reasoning text, a document's text."""
    ident: str = ""
    """A tool use's id (``tool_use``, ``tool_result``)."""
    name: str = ""
    """A tool's name; a document's title."""
    signature: str = ""
    """Reasoning's signature; a redacted block's data (base64)."""
    cited: bool = False
    """A document with citations enabled."""
    ttl: str = "5m"
    """A cache point's time to live."""
    path: str = ""
    """Where the block is, for error messages: ``messages.1.content.0``."""


@dataclass(frozen=True)
class Message:
    """One message: its role and neutral blocks."""

    role: str
    blocks: tuple[Block, ...]
    index: int = 0


@dataclass(frozen=True)
class Tool:
    """A tool offered to the model."""

    name: str
    schema: Mapping[str, Any]
    description: str = ""
    cache_ttl: str | None = None
    """A cache point right after this tool (its time to live)."""


@dataclass(frozen=True)
class GuardrailConfig:
    """A request's guardrail: Converse ``guardrailConfig`` (or the invoke headers)."""

    identifier: str
    version: str
    trace: str = "disabled"
    """``enabled``, ``disabled`` or ``enabled_full``."""
    mode: str = "sync"
    """ConverseStream's ``streamProcessingMode``: ``sync`` or ``async``."""


@dataclass(frozen=True)
class Conversation:
    """Everything but the prompt text a request asks of the model."""

    messages: tuple[Message, ...] = ()
    system: tuple[Block, ...] = ()
    tools: tuple[Tool, ...] = ()
    tool_choice: str = "auto"
    """``auto``, ``any`` or ``tool`` (then :attr:`chosen_tool`)."""
    chosen_tool: str | None = None
    reasoning: bool = False
    """Whether reasoning (extended thinking) is switched on."""
    service_tier: str | None = None
    latency: str | None = None
    guardrail: GuardrailConfig | None = None

    @property
    def last_user(self) -> Message | None:
        """The last message if it is the user's."""
        if self.messages and self.messages[-1].role == "user":
            return self.messages[-1]
        return None

    @property
    def last_user_text(self) -> str:
        """The text blocks of the last user message."""
        last = self.last_user
        return "\n".join(b.text for b in last.blocks if b.kind == "text") if last else ""


SERVICE_TIERS = ("priority", "default", "flex", "reserved")
"""``ServiceTierType`` in botocore's ``bedrock-runtime`` service model."""
LATENCIES = ("standard", "optimized")
"""``PerformanceConfigLatency`` in botocore's ``bedrock-runtime`` service model."""


def enum_value(value: Any, path: str, allowed: tuple[str, ...]) -> str | None:
    """Return ``value`` if it is one of ``allowed`` (None: absent), else Bedrock's 400.

    The wording is AWS's usual one for a constraint violation (the emulator's choice: no
    recording of this field's error).
    """
    if value is None:
        return None
    if value not in allowed:
        raise invalid(
            f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return str(value)


def converse_options(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Return Converse's ``serviceTier.type`` and ``performanceConfig.latency``, checked."""
    tier = body.get("serviceTier")
    performance = body.get("performanceConfig")
    return (
        enum_value(tier.get("type") if tier else None, "serviceTier.type", SERVICE_TIERS),
        enum_value(
            performance.get("latency") if performance else None,
            "performanceConfig.latency",
            LATENCIES,
        ),
    )


GUARDRAIL_BODY_KEY = "amazon-bedrock-guardrailConfig"
"""The InvokeModelWithResponseStream body key of the guardrail's ``streamProcessingMode``."""
_MODES = {"SYNCHRONOUS": "sync", "ASYNCHRONOUS": "async"}


def invoke_options(header: Callable[[str], str | None], body: Mapping[str, Any]) -> dict[str, Any]:
    """Return InvokeModel's tier, latency and guardrail, from its headers, checked.

    ``X-Amzn-Bedrock-Service-Tier``, ``X-Amzn-Bedrock-PerformanceConfig-Latency``,
    ``X-Amzn-Bedrock-GuardrailIdentifier`` and ``-GuardrailVersion``, ``X-Amzn-Bedrock-Trace``
    (``ENABLED``, ``DISABLED``, ``ENABLED_FULL``), and the body's
    ``amazon-bedrock-guardrailConfig.streamProcessingMode`` (``SYNCHRONOUS``,
    ``ASYNCHRONOUS``).
    """
    tier = enum_value(header("X-Amzn-Bedrock-Service-Tier"), "serviceTier", SERVICE_TIERS)
    latency = enum_value(
        header("X-Amzn-Bedrock-PerformanceConfig-Latency"), "performanceConfigLatency", LATENCIES
    )
    identifier = header("X-Amzn-Bedrock-GuardrailIdentifier")
    guardrail = None
    if identifier:
        trace = enum_value(
            header("X-Amzn-Bedrock-Trace") or "DISABLED",
            "trace",
            ("ENABLED", "DISABLED", "ENABLED_FULL"),
        )
        raw = (body.get(GUARDRAIL_BODY_KEY) or {}).get("streamProcessingMode") or "SYNCHRONOUS"
        mode = enum_value(raw, "streamProcessingMode", tuple(_MODES))
        version = header("X-Amzn-Bedrock-GuardrailVersion") or "DRAFT"
        guardrail = GuardrailConfig(identifier, version, str(trace).lower(), _MODES[str(mode)])
    return {"service_tier": tier, "latency": latency, "guardrail": guardrail}
