"""Event and result (de)serialization, the way awslambdaric does it, with the stdlib only.

awslambdaric encodes with simplejson: ``", "``/``": "`` separators, ``NaN`` allowed,
``Decimal`` written as its exact decimal text, non-ASCII kept as UTF-8 on the
python3.12+ managed runtimes (``AWS_EXECUTION_ENV``) and ``\\uXXXX``-escaped
elsewhere. ``bytes`` results go out as they are with ``application/unknown``.
"""

from __future__ import annotations

import json
import os

from bedrock_stream.errors import LambdaRuntimeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "MarshalError",
    "UnmarshalError",
    "ensure_ascii",
    "marshal_response",
    "to_json",
    "unmarshal_request",
]

_UTF8_RUNTIMES = frozenset(
    {
        "AWS_Lambda_python3.12",
        "AWS_Lambda_python3.13",
        "AWS_Lambda_python3.14",
        "AWS_Lambda_python3.15",
    }
)


class MarshalError(LambdaRuntimeError):
    """The handler's result cannot be serialized (``Runtime.MarshalError``)."""


class UnmarshalError(LambdaRuntimeError):
    """The event is not valid JSON (``Runtime.UnmarshalError``)."""


def ensure_ascii() -> bool:
    """Return whether JSON escapes non-ASCII here (all but the python3.12+ managed runtimes)."""
    return os.environ.get("AWS_EXECUTION_ENV") not in _UTF8_RUNTIMES


def to_json(obj: Any) -> str:
    """Serialize ``obj`` exactly as awslambdaric's encoder does.

    Raises:
        TypeError, ValueError: ``obj`` holds something JSON cannot represent.
    """
    decimals: list[str] = []
    marker = ""

    def default(value: Any) -> Any:
        nonlocal marker
        import decimal

        if isinstance(value, decimal.Decimal):
            if value.is_nan():
                return float("nan")
            if not marker:
                marker = f"\0bedrock-stream-decimal-{os.urandom(8).hex()}:"
            decimals.append(str(value))
            return f"{marker}{len(decimals) - 1}\0"
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    text = json.dumps(obj, ensure_ascii=ensure_ascii(), allow_nan=True, default=default)
    if decimals:
        # Each Decimal went through as a unique marker string; put its exact text back.
        quoted = json.dumps(marker)[:-1]
        for index, digits in enumerate(decimals):
            text = text.replace(f'{quoted}{index}\\u0000"', digits, 1)
    return text


def marshal_response(result: Any) -> tuple[bytes, str]:
    """Return the body and content type for a plain handler's result."""
    if isinstance(result, bytes):
        return result, "application/unknown"
    try:
        return to_json(result).encode(), "application/json"
    except Exception as exc:
        raise MarshalError(f"Unable to marshal response: {exc}") from exc


def unmarshal_request(body: bytes, content_type: str | None) -> Any:
    """Return the event: parsed JSON for ``application/json``, else the raw bytes."""
    if content_type != "application/json":
        return body
    try:
        return json.loads(body)
    except Exception as exc:
        raise UnmarshalError(f"Unable to unmarshal input: {exc}") from exc
