"""Settings that may come from the environment.

Every option that can be set through the environment has exactly one
``BEDROCK_STREAM_*`` variable, listed in :data:`SETTINGS`, and a matching
keyword argument. The rule is Powertools': an explicit argument wins over the
variable, and the variable wins over the default. Variables are read when the
option is resolved (at decoration or at runtime start), never at import.

``docs/settings.md`` documents every entry of :data:`SETTINGS`; a test keeps
the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

__all__ = ["SETTINGS", "Setting", "parse_bool", "parse_choice", "parse_seconds"]

T = TypeVar("T")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def parse_bool(text: str) -> bool:
    """Parse ``1/true/yes/on`` and ``0/false/no/off`` (any case)."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def parse_seconds(text: str) -> float:
    """Parse a non-negative, finite number of seconds."""
    value = float(text)
    if not 0 <= value < float("inf"):
        raise ValueError(f"expected a non-negative number of seconds, got {text!r}")
    return value


def parse_choice(*choices: str) -> Callable[[str], str]:
    """Return a parser of one of ``choices`` (any case)."""

    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {text!r}")
        return value

    return parse


class Setting(Generic[T]):
    """One option that may come from a ``BEDROCK_STREAM_*`` environment variable."""

    __slots__ = ("argument", "default", "doc", "env", "parse")

    def __init__(
        self, *, env: str, argument: str, default: T, parse: Callable[[str], T], doc: str
    ) -> None:
        self.env = env
        self.argument = argument
        self.default = default
        self.parse = parse
        self.doc = doc

    def resolve(self, argument: T | None, environ: Mapping[str, str] | None = None) -> T:
        """Return ``argument`` if given, else the parsed variable, else the default.

        Raises:
            ValueError: the variable is set but does not parse; the message names it.
        """
        if argument is not None:
            return argument
        raw = (os.environ if environ is None else environ).get(self.env)
        if raw is None or raw.strip() == "":
            return self.default
        try:
            return self.parse(raw)
        except ValueError as exc:
            raise ValueError(f"{self.env}: {exc}") from None


HEARTBEAT = Setting[float](
    env="BEDROCK_STREAM_HEARTBEAT",
    argument="streaming_handler(heartbeat=...)",
    default=0.0,
    parse=parse_seconds,
    doc=(
        "Seconds between SSE comment heartbeats for Server-Sent Events handlers. "
        "When above 0, the prelude is sent at once and heartbeats keep an idle "
        "connection open until the first chunk (and between chunks). 0 disables."
    ),
)

DEADLINE_GUARD = Setting[float](
    env="BEDROCK_STREAM_DEADLINE_GUARD",
    argument="bedrock_stream.runtime.run(deadline_guard=...)",
    default=0.0,
    parse=parse_seconds,
    doc=(
        "Seconds before the invocation deadline at which the streaming runtime stops a "
        "stream: the handler's generator is closed and the stream ends with a "
        "Function.DeadlineGuard error trailer instead of being killed mid-write. 0 disables."
    ),
)

BEDROCK_TRANSPORT = Setting[str](
    env="BEDROCK_STREAM_BEDROCK_TRANSPORT",
    argument="bedrock_stream.bedrock.default_client(transport=...)",
    default="auto",
    parse=parse_choice("auto", "builtin", "boto3"),
    doc=(
        "How the Bedrock calls reach Bedrock when no client is passed: auto (the built-in "
        "transport where the environment allows it, else boto3), builtin (refuse to fall "
        "back), or boto3."
    ),
)

SETTINGS: tuple[Setting[Any], ...] = (HEARTBEAT, DEADLINE_GUARD, BEDROCK_TRANSPORT)
"""Every environment-backed setting; docs/settings.md must document each."""
