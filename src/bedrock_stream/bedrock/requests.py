"""Requests for Converse and for InvokeModel (each family's body is in :mod:`.family`).

The messages and options are Converse-shaped (:mod:`.request_blocks`,
:mod:`.request_options`). :func:`build_converse_request` passes them on as they are;
:func:`build_invoke_request` gives them to the family's body builder, which raises
:class:`~.errors.UnsupportedOptionError` for what its format cannot express. Only the
options that are set are emitted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import UnsupportedOptionError
from .families import resolve_family
from .family import CODECS
from .family.base import InvokeRequest, put
from .request_blocks import Messages as Messages
from .request_blocks import SystemBlock
from .request_blocks import to_messages as to_messages
from .request_options import (
    GuardrailConfig,
    Latency,
    Reasoning,
    ServiceTierType,
    ToolChoice,
    ToolEntry,
    converse_tool_choice,
)
from .request_options import RequestOptions as RequestOptions

if TYPE_CHECKING:
    from .families import Family

# Messages, RequestOptions and to_messages live in .request_blocks and .request_options now;
# they still import from here.
__all__ = [
    "Messages",
    "RequestOptions",
    "build_converse_request",
    "build_invoke_body",
    "build_invoke_request",
    "is_prompt_arn",
    "to_messages",
]

_PROMPT_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[^:]*:[0-9]{12}:prompt/")
# What a Prompt management prompt defines itself (the ConverseStream operation's docs).
_PROMPT_DEFINES = ("inferenceConfig", "system", "toolConfig", "additionalModelRequestFields")
_TRACE = {"enabled": "ENABLED", "disabled": "DISABLED", "enabled_full": "ENABLED_FULL"}
_STREAM_MODE = {"sync": "SYNCHRONOUS", "async": "ASYNCHRONOUS"}


def is_prompt_arn(model_id: str) -> bool:
    """Say whether ``model_id`` is the ARN of a Prompt management prompt (version)."""
    return bool(_PROMPT_ARN.match(model_id.strip()))


def _system_blocks(system: str | Sequence[SystemBlock] | None) -> list[dict[str, Any]]:
    if system is None:
        return []
    return [{"text": system}] if isinstance(system, str) else [dict(b) for b in system]


def _reasoning_fields(reasoning: Reasoning, family: Family) -> dict[str, Any]:
    return CODECS[family].reasoning_fields(reasoning, family)


def build_converse_request(
    model_id: str,
    prompt_or_messages: str | Messages,
    *,
    max_tokens: int | None,
    system: str | Sequence[SystemBlock] | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
    tools: Sequence[ToolEntry] | None = None,
    tool_choice: ToolChoice | None = None,
    reasoning: Reasoning | None = None,
    guardrail_config: GuardrailConfig | None = None,
    latency: Latency | None = None,
    service_tier: ServiceTierType | None = None,
    request_metadata: Mapping[str, str] | None = None,
    prompt_variables: Mapping[str, str] | None = None,
    additional_model_request_fields: Mapping[str, Any] | None = None,
    additional_model_response_field_paths: Sequence[str] | None = None,
    extra: Mapping[str, Any] | None = None,
    family: str | None = None,
    stream: bool = True,
) -> dict[str, Any]:
    """Keyword arguments for ``converse_stream`` (``stream=False``: ``converse``).

    ``family`` maps ``reasoning`` when the model id does not name the model (an application
    inference profile); only ``reasoning`` needs it. ``max_tokens=None`` sends none (a
    prompt ARN's prompt defines its own).

    Raises:
        UnsupportedOptionError: an option this call cannot carry (``tool_choice`` without
            tools, ``streamProcessingMode`` on ``converse``, what a prompt ARN defines).
        UnknownModelError: ``reasoning`` for a model id of no known family, without ``family``.
    """
    request: dict[str, Any] = {"modelId": model_id, "messages": to_messages(prompt_or_messages)}
    config: dict[str, Any] = {}
    put(config, maxTokens=max_tokens, temperature=temperature, topP=top_p)
    put(config, stopSequences=list(stop_sequences or ()))
    put(request, inferenceConfig=config or None, system=_system_blocks(system))
    if tools:
        request["toolConfig"] = {"tools": [dict(t) for t in tools]}
        if tool_choice is not None:
            request["toolConfig"]["toolChoice"] = converse_tool_choice(tool_choice)
    elif tool_choice is not None:
        raise UnsupportedOptionError("tool_choice needs tools")
    fields: dict[str, Any] = {}
    if reasoning is not None:
        fields.update(_reasoning_fields(reasoning, resolve_family(model_id, family)))
    fields.update(additional_model_request_fields or {})  # the escape hatch wins
    put(request, additionalModelRequestFields=fields or None)
    if guardrail_config is not None:
        if not stream and "streamProcessingMode" in guardrail_config:
            raise UnsupportedOptionError("streamProcessingMode is for converse_stream only")
        request["guardrailConfig"] = dict(guardrail_config)
    put(
        request,
        performanceConfig=None if latency is None else {"latency": latency},
        serviceTier=None if service_tier is None else {"type": service_tier},
        requestMetadata=None if request_metadata is None else dict(request_metadata),
        promptVariables=None
        if prompt_variables is None
        else {name: {"text": value} for name, value in prompt_variables.items()},
        additionalModelResponseFieldPaths=None
        if additional_model_response_field_paths is None
        else list(additional_model_response_field_paths),
    )
    if is_prompt_arn(model_id):
        defined = [name for name in _PROMPT_DEFINES if name in request]
        if defined:
            raise UnsupportedOptionError(
                f"a Prompt management prompt defines {', '.join(defined)} itself; leave them"
                " out (max_tokens=None) when the model id is a prompt ARN"
            )
    request.update(extra or {})
    return request


# Options that are parameters of the InvokeModel call, not of its body, and Converse-only ones.
_CALL_OPTIONS = ("guardrail_config", "latency", "service_tier", "request_metadata", "extra")
_CONVERSE_ONLY = ("prompt_variables", "additional_model_response_field_paths")


def build_invoke_body(
    family: Family,
    prompt_or_messages: str | Messages,
    *,
    max_tokens: int,
    system: str | Sequence[SystemBlock] | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
    tools: Sequence[ToolEntry] | None = None,
    tool_choice: ToolChoice | None = None,
    reasoning: Reasoning | None = None,
    additional_model_request_fields: Mapping[str, Any] | None = None,
    model_id: str | None = None,
    **call_options: Any,
) -> dict[str, Any]:
    """Build the JSON body for ``invoke_model(_with_response_stream)`` of ``family``.

    ``additional_model_request_fields`` are native fields of the family, merged last.
    ``model_id`` (:func:`build_invoke_request` passes it) picks the body where a family has
    one per model (Mistral's chat-only models).

    Raises:
        UnsupportedOptionError: an option the family's format cannot express, or one that
            is a parameter of the call rather than of its body (use
            :func:`build_invoke_request` for those).
    """
    for name in call_options:
        if name in _CALL_OPTIONS:
            raise UnsupportedOptionError(
                f"{name} is a parameter of the InvokeModel call, not of its body:"
                " build the call with build_invoke_request"
            )
        if name in _CONVERSE_ONLY:
            raise UnsupportedOptionError(f"{name} is a Converse option; InvokeModel has none")
        raise TypeError(f"build_invoke_body() got an unexpected keyword argument {name!r}")
    if tool_choice is not None and not tools:
        raise UnsupportedOptionError("tool_choice needs tools")
    request = InvokeRequest(
        family=family,
        model_id=model_id or "",
        messages=to_messages(prompt_or_messages),
        system=_system_blocks(system),
        max_tokens=max_tokens,
        temperature=temperature,
        top_p=top_p,
        stop_sequences=list(stop_sequences or ()),
        tools=[dict(t) for t in tools or ()],
        tool_choice=tool_choice,
        reasoning={} if reasoning is None else _reasoning_fields(reasoning, family),
    )
    body = CODECS[family].build_body(request)
    body.update(additional_model_request_fields or {})
    return body


def build_invoke_request(
    model_id: str,
    family: Family,
    prompt_or_messages: str | Messages,
    *,
    stream: bool = True,
    guardrail_config: GuardrailConfig | None = None,
    latency: Latency | None = None,
    service_tier: ServiceTierType | None = None,
    request_metadata: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Keyword arguments for ``invoke_model_with_response_stream`` (or ``invoke_model``).

    The body is :func:`build_invoke_body`'s; the call's own parameters come beside it.

    The guardrail's ``trace`` goes upper-case (``ENABLED``); its ``streamProcessingMode``
    goes into the body as ``amazon-bedrock-guardrailConfig`` (streaming only);
    ``request_metadata`` is sent as the JSON object the call's header carries.
    """
    body = build_invoke_body(family, prompt_or_messages, model_id=model_id, **options)
    call: dict[str, Any] = {"modelId": model_id}
    if guardrail_config is not None:
        call["guardrailIdentifier"] = guardrail_config["guardrailIdentifier"]
        call["guardrailVersion"] = guardrail_config["guardrailVersion"]
        if "trace" in guardrail_config:
            call["trace"] = _TRACE[guardrail_config["trace"]]
        if "streamProcessingMode" in guardrail_config:
            if not stream:
                raise UnsupportedOptionError("streamProcessingMode is for streaming calls only")
            mode = _STREAM_MODE[guardrail_config["streamProcessingMode"]]
            body["amazon-bedrock-guardrailConfig"] = {"streamProcessingMode": mode}
    put(
        call,
        performanceConfigLatency=latency,
        serviceTier=service_tier,
        requestMetadata=None if request_metadata is None else json.dumps(dict(request_metadata)),
    )
    call.update(body=json.dumps(body), contentType="application/json", accept="application/json")
    call.update(extra or {})
    return call
