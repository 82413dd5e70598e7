"""A local Amazon Bedrock runtime: the four inference operations on the real wire formats.

Examples:
    >>> with BedrockEmulator(speed=0) as bedrock:  # doctest: +SKIP
    ...     client = boto3.client("bedrock-runtime", endpoint_url=bedrock.url, ...)

Modules: :mod:`.model` (deterministic text and tokens), :mod:`.family` (one module per model
family: its chunks, bodies, validation and timing), :mod:`.formats` (responses and frames),
:mod:`.converse_format` (Converse's events and body), :mod:`.validation` (requests),
:mod:`.conversation` and :mod:`.converse_request` (what a request asks beyond text),
:mod:`.turn` (the whole answer) with the rules of :mod:`.tools`, :mod:`.reasoning`,
:mod:`.citations`, :mod:`.prompt_cache` and :mod:`.guardrails`, :mod:`.faults` and
:mod:`.fault_events` (fault rules and when they fire), :mod:`.record` (the requests
received), :mod:`.server` (the HTTP server).
Needs the ``local`` extra (h11); never imports boto3.
"""

from __future__ import annotations

from .faults import (
    Disconnect,
    ErrorResponse,
    Fault,
    Faults,
    Guardrail,
    InjectedFault,
    Rule,
    Stall,
    StreamException,
    StreamFault,
    Truncate,
    access_denied,
    parse_fault,
    resource_not_found,
    service_unavailable,
    throttling,
)
from .record import RecordedRequest
from .server import FAULT_HEADER, BedrockEmulator

__all__ = [
    "FAULT_HEADER",
    "BedrockEmulator",
    "Disconnect",
    "ErrorResponse",
    "Fault",
    "Faults",
    "Guardrail",
    "InjectedFault",
    "RecordedRequest",
    "Rule",
    "Stall",
    "StreamException",
    "StreamFault",
    "Truncate",
    "access_denied",
    "parse_fault",
    "resource_not_found",
    "service_unavailable",
    "throttling",
]
