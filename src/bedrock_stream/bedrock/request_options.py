"""The options of a request besides its messages: :class:`RequestOptions` and its parts.

Each option is emitted only when it is set, so an older botocore (Lambda's bundled boto3)
sees only the fields a caller asked for. Converse-shaped parts (tools, the guardrail
configuration) keep Converse's keys; :mod:`.requests` maps them to each family's own format
for the invoke API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from .errors import UnsupportedOptionError
from .request_blocks import CachePointBlock, SystemBlock

if TYPE_CHECKING:  # the annotations stay strings: no import at run time
    from typing_extensions import NotRequired

__all__ = [
    "Effort",
    "GuardrailConfig",
    "Latency",
    "NamedTool",
    "Reasoning",
    "RequestOptions",
    "ServiceTierType",
    "Tool",
    "ToolChoice",
    "ToolEntry",
    "converse_tool_choice",
    "named_tool",
    "reasoning_setting",
    "tool",
]

Effort = Literal["low", "medium", "high"]
Latency = Literal["standard", "optimized"]
ServiceTierType = Literal["priority", "default", "flex", "reserved"]


class _ToolSpec(TypedDict):
    name: str
    description: NotRequired[str]
    inputSchema: Mapping[str, Any]
    strict: NotRequired[bool]


class Tool(TypedDict):
    """A tool the model may call, Converse's ``{"toolSpec": {...}}`` (see :func:`tool`)."""

    toolSpec: _ToolSpec


ToolEntry = Tool | CachePointBlock | Mapping[str, Any]
"""An entry of ``tools``: a tool, a cache point, or another Converse entry (``systemTool``)."""


class NamedTool(TypedDict):
    """``tool_choice`` naming the one tool the model must call."""

    name: str


ToolChoice = Literal["auto", "any"] | NamedTool
"""``"auto"`` (the model decides), ``"any"`` (some tool), or :func:`named_tool`."""


class Reasoning(TypedDict, total=False):
    """Switch reasoning on; each family takes one of the two settings, the other is an error.

    - ``budget_tokens``: Anthropic's ``thinking`` budget (at least 1024, below ``max_tokens``);
    - ``effort``: Nova 2's ``maxReasoningEffort``, gpt-oss's ``reasoning_effort``.

    DeepSeek-R1 always reasons: ``Reasoning()`` with neither is accepted and sends nothing.
    """

    budget_tokens: int
    effort: Effort


class GuardrailConfig(TypedDict):
    """Converse's ``guardrailConfig``; ``streamProcessingMode`` on streaming calls only."""

    guardrailIdentifier: str
    guardrailVersion: str
    trace: NotRequired[Literal["enabled", "disabled", "enabled_full"]]
    streamProcessingMode: NotRequired[Literal["sync", "async"]]


class RequestOptions(TypedDict, total=False):
    """The request options every call takes (``stream_events(..., **options)``)."""

    system: str | Sequence[SystemBlock] | None
    """A string, or system blocks (text, cache points, guard content)."""
    max_tokens: int | None
    """Defaults to 1024, or to none for a prompt ARN; None sends none (the model's own)."""
    temperature: float | None
    top_p: float | None
    stop_sequences: Sequence[str] | None
    tools: Sequence[ToolEntry] | None
    tool_choice: ToolChoice | None
    reasoning: Reasoning | None
    guardrail_config: GuardrailConfig | None
    latency: Latency | None
    """``performanceConfig.latency`` (Converse) / ``performanceConfigLatency`` (invoke)."""
    service_tier: ServiceTierType | None
    request_metadata: Mapping[str, str] | None
    """Key-value pairs for filtering invocation logs."""
    prompt_variables: Mapping[str, str] | None
    """Values of a Prompt management prompt's variables (the model id is the prompt's ARN)."""
    additional_model_request_fields: Mapping[str, Any] | None
    """Native fields of the model: Converse's escape hatch, merged into an invoke body."""
    additional_model_response_field_paths: Sequence[str] | None
    extra: Mapping[str, Any] | None
    """Any other top-level field of the call, merged last (it wins over built fields)."""


def tool(
    name: str,
    input_schema: Mapping[str, Any],
    description: str | None = None,
    *,
    strict: bool | None = None,
) -> Tool:
    """Return a tool entry: its name, the JSON schema of its input, and what it does."""
    spec: _ToolSpec = {"name": name, "inputSchema": {"json": input_schema}}
    if description is not None:
        spec["description"] = description
    if strict is not None:
        spec["strict"] = strict
    return {"toolSpec": spec}


def named_tool(name: str) -> NamedTool:
    """Return the ``tool_choice`` that makes the model call tool ``name``."""
    return {"name": name}


def converse_tool_choice(choice: ToolChoice) -> dict[str, Any]:
    """Return Converse's ``toolChoice`` for ``choice`` (``{"auto": {}}``, ``{"tool": ...}``)."""
    if choice == "auto" or choice == "any":
        return {choice: {}}
    return {"tool": {"name": choice["name"]}}


def reasoning_setting(
    reasoning: Reasoning, family: str, key: Literal["budget_tokens", "effort"], native: str
) -> Any:
    """Return the one setting ``family`` reasons by (its ``native`` field); else raise."""
    other = "effort" if key == "budget_tokens" else "budget_tokens"
    if other in reasoning or key not in reasoning:
        raise UnsupportedOptionError(
            f"the {family} format takes reasoning {key} (its {native}), not {other}"
        )
    return reasoning[key]
