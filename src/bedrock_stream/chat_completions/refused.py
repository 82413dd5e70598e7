"""The request fields we cannot honour, each with the values that mean "not used".

A field in :data:`REFUSED` set to anything but one of its defaults is a 400: never a
silent ignore. Clients that send the defaults (``n: 1``, ``logprobs: false`` ...) pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import invalid_request

__all__ = ["ACCEPTED", "REFUSED", "check_refused"]

REFUSED: dict[str, tuple[Any, ...]] = {
    "n": (None, 1),
    "logprobs": (None, False),
    "top_logprobs": (None, 0),
    "presence_penalty": (None, 0),
    "frequency_penalty": (None, 0),
    "logit_bias": (None, {}),
    "seed": (None,),
    "audio": (None,),
    "modalities": (None, ["text"]),
    "prediction": (None,),
    "web_search_options": (None,),
    "response_format": (None, {"type": "text"}),
    "parallel_tool_calls": (None, True),
    "service_tier": (None, "auto", "default"),
    "store": (None, False),
    "metadata": (None, {}),
    "verbosity": (None, "medium"),
    "prompt_cache_key": (None,),
    "safety_identifier": (None,),
    "functions": (None,),
    "function_call": (None,),
}
"""Field → the values that leave it unused (``None``: the field sent as null)."""

ACCEPTED = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stop",
        "tools",
        "tool_choice",
        "reasoning_effort",
        "stream",
        "stream_options",
        "user",
    }
)
"""The fields that are mapped (see :mod:`.request`)."""


def check_refused(body: Mapping[str, Any]) -> None:
    """Raise a 400 for a field we cannot honour set to a value that uses it, or an unknown one."""
    for name, value in body.items():
        if name in ACCEPTED:
            continue
        defaults = REFUSED.get(name)
        if defaults is None:
            raise invalid_request(f"Unrecognized request argument supplied: {name}", name)
        if not any(_same(value, d) for d in defaults):
            message = f"{name}={value!r} is not supported by this server"
            raise invalid_request(message, name, "unsupported_parameter")


def _same(value: Any, default: Any) -> bool:
    return bool(value == default) and isinstance(value, bool) == isinstance(default, bool)
