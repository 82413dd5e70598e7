"""Bedrock's request schema checks and the error they raise (no I/O).

Shared by the operations' validation (:mod:`.validation`) and every family's own
(:mod:`.family`); messages follow Bedrock's wording where it is known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bedrock_stream.errors import LocalStackError

__all__ = [
    "ERROR_TYPE_SUFFIX",
    "ServiceError",
    "chat_prompt",
    "check_keys",
    "encode_json",
    "invalid",
    "malformed",
    "number",
    "stop_list",
    "text_of",
]

ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"


def encode_json(document: Any, *, sort: bool = False) -> bytes:
    """Compact UTF-8 JSON, as Bedrock writes it."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, sort_keys=sort).encode()


class ServiceError(LocalStackError):
    """A Bedrock error response: HTTP status, error code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def response(self, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """``(status, headers, body)`` as Bedrock sends it (REST-JSON error)."""
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", self.code + ERROR_TYPE_SUFFIX),
        ]
        return self.status, headers, encode_json({"message": self.message})


def invalid(message: str) -> ServiceError:
    """Return a ``ValidationException`` saying ``message``."""
    return ServiceError(400, "ValidationException", message)


def malformed(*violations: str) -> ServiceError:
    """Bedrock's JSON-schema message for an invoke body (one violation, or a count)."""
    detail = (
        violations[0] if len(violations) == 1 else f"#: {len(violations)} schema violations found"
    )
    return invalid(f"Malformed input request: {detail}, please reformat your input and try again.")


def text_of(content: Any) -> str:
    """Text of a message's content: a string or a list of text blocks (other blocks skipped)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, Mapping))
    return ""


def number(body: Mapping[str, Any], key: str, path: str, default: int, low: int = 1) -> int:
    """Return the integer ``body[key]`` (``default`` if absent), at least ``low``."""
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise malformed(f"{path}/{key}: expected type: Integer, found: {type(value).__name__}")
    if value < low:
        raise malformed(f"{path}/{key}: {int(value)} is not greater or equal to {low}")
    return int(value)


def stop_list(value: Any, path: str) -> tuple[str, ...]:
    """Return a list of stop sequences (None: none) as a tuple."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise malformed(f"{path}: expected type: JSONArray, found: {type(value).__name__}")
    return tuple(value)


def check_keys(
    body: Mapping[str, Any], path: str, required: Sequence[str], allowed: Sequence[str] | None
) -> None:
    """Check that ``body`` has the ``required`` keys and (unless None) only ``allowed`` others."""
    violations = [f"{path}: required key [{k}] not found" for k in required if k not in body]
    if allowed is not None:
        known = {*required, *allowed}
        violations += [
            f"{path}: extraneous key [{k}] is not permitted" for k in body if k not in known
        ]
    if violations:
        raise malformed(*violations)


def chat_prompt(system: Any, messages: Sequence[Any]) -> str:
    """Return the prompt text of a system prompt and chat messages, one part a line."""
    parts = [text_of(system)] if system else []
    parts += [text_of(m.get("content")) for m in messages if isinstance(m, Mapping)]
    return "\n".join(parts)
