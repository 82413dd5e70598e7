"""Guardrails on the emulator: a request's ``guardrailConfig``, its trigger and its trace.

The trigger is a word policy with one blocked word, :data:`BLOCKED_WORD` (``contraband``,
any case, a whole word). In the last user message it blocks the input: the answer is
:data:`BLOCKED_MESSAGE` alone. In the answer (which happens when the answer quotes a tool
result or a document holding it) it blocks the output: with ``streamProcessingMode``
``sync`` (the default) the blocked message replaces the whole answer; with ``async`` the
text already streamed up to the end of the chunk holding the word stays, then the blocked
message follows, as AWS documents for asynchronous mode (chunks go out as they are made,
and once inappropriate content is found the rest is blocked:
https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-streaming.html). Either way
the stop reason is ``guardrail_intervened``, and with ``trace`` ``enabled`` or
``enabled_full`` the metadata carries the assessment, in botocore's
``GuardrailTraceAssessment`` shape. On InvokeModel(WithResponseStream) the guardrail comes
from the ``X-Amzn-Bedrock-Guardrail*`` and ``X-Amzn-Bedrock-Trace`` headers: chunks after the
intervention carry ``amazon-bedrock-guardrailAction`` ``INTERVENED`` and the last one the
``amazon-bedrock-trace``, as recorded.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .conversation import GuardrailConfig

__all__ = ["BLOCKED_MESSAGE", "BLOCKED_WORD", "blocked_at", "invoke_trace", "trace"]

BLOCKED_WORD = "contraband"
BLOCKED_MESSAGE = "Sorry, the model cannot answer this question."
"""The Bedrock console's default blocked message."""
_PATTERN = re.compile(rf"\b{BLOCKED_WORD}\b", re.IGNORECASE)


def blocked_at(text: str) -> int | None:
    """Return the index just past the first blocked word in ``text`` (None: none)."""
    match = _PATTERN.search(text)
    return match.end() if match else None


def _assessment() -> dict[str, Any]:
    word = {"match": BLOCKED_WORD, "action": "BLOCKED", "detected": True}
    return {"wordPolicy": {"customWords": [word], "managedWordLists": []}}


def invoke_trace(config: GuardrailConfig, where: str) -> dict[str, Any] | None:
    """Return InvokeModel's ``amazon-bedrock-trace`` of an intervention (None: trace off).

    The recorded keys: ``guardrail.input`` (by guardrail id) or ``guardrail.outputs``.
    """
    if config.trace == "disabled":
        return None
    if where == "input":
        return {"guardrail": {"input": {config.identifier: _assessment()}}}
    return {"guardrail": {"outputs": [{config.identifier: _assessment()}]}}


def trace(config: GuardrailConfig, where: str) -> dict[str, Any] | None:
    """Return the ``trace`` of an ``input`` or ``output`` intervention (None: trace off)."""
    if config.trace == "disabled":
        return None
    assessment = _assessment()
    guardrail: dict[str, Any]
    if where == "input":
        guardrail = {"inputAssessment": {config.identifier: assessment}}
    else:
        guardrail = {"outputAssessments": {config.identifier: [assessment]}}
    guardrail["actionReason"] = "Guardrail blocked."
    return {"guardrail": guardrail}
