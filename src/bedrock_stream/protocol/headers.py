"""HTTP header fields as ``(name, value)`` pairs, their names compared in any case.

HTTP field names are case-insensitive (RFC 9110, section 5.1) and a field may repeat; a
repeated field means the same as one field whose values are joined with commas (section
5.3). A lookup of a header by name goes through these three functions, a mapping of headers
through its ``.items()``; the runtime's response parser (:mod:`.http1`), which checks each
line as it reads it, keeps its own loop on the cold path.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["FIELD_NAME", "header", "header_values", "joined_headers"]

FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""A valid field name, an RFC 9110 token (``FIELD_NAME.fullmatch(name)``)."""


def header(fields: Iterable[tuple[str, str]], name: str) -> str | None:
    """Return the value of the first field called ``name`` (any case), or ``None``."""
    wanted = name.lower()
    for key, value in fields:
        if key.lower() == wanted:
            return value
    return None


def header_values(fields: Iterable[tuple[str, str]], name: str) -> list[str]:
    """Return the values of every field called ``name`` (any case), in order."""
    wanted = name.lower()
    return [value for key, value in fields if key.lower() == wanted]


def joined_headers(fields: Iterable[tuple[str, str]], *, separator: str = ", ") -> dict[str, str]:
    """Return the fields by lower-case name, a repeated field's values joined by ``separator``.

    Names keep the order of their first field. API Gateway and Lambda join with ``", "``;
    function URLs with ``","``.
    """
    out: dict[str, str] = {}
    for key, value in fields:
        name = key.lower()
        out[name] = f"{out[name]}{separator}{value}" if name in out else value
    return out
