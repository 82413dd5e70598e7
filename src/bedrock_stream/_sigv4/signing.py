"""Signing a request: :class:`Credentials` and :func:`sign`, with the dates it writes."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlsplit

from .canonical import (
    ALGORITHM,
    canonical_request,
    compute_signature,
    credential_scope,
    header_map,
    host_from_url,
    sha256,
    string_to_sign,
)
from .value import Value

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Sequence

UNSIGNED_HEADERS = frozenset(
    {
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)
"""Headers :func:`sign` never signs: botocore's ``SIGNED_HEADERS_BLACKLIST``.

Proxies and tracers may add, drop or rewrite them on the way.
"""

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""The month abbreviations of an HTTP date, January first."""


class Credentials(Value):
    """An AWS access key pair, with the session token of temporary credentials.

    Immutable, compared and hashed by value; the secret and the token are left
    out of ``repr``.
    """

    __slots__ = ("access_key", "secret_key", "token")
    __match_args__ = ("access_key", "secret_key", "token")
    _fields = __match_args__
    _shown = ("access_key",)
    access_key: str
    secret_key: str
    token: str | None

    def __init__(self, access_key: str, secret_key: str, token: str | None = None) -> None:
        self._set(access_key=access_key, secret_key=secret_key, token=token)


def sign(
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime | None = None,
) -> list[tuple[str, str]]:
    """Sign a request; return the headers to set on it.

    Every given header is signed except :data:`UNSIGNED_HEADERS`, plus ``host``
    (from ``url`` unless a ``Host`` header is given). As botocore does, a given
    ``Date`` header is replaced by an RFC 1123 date of ``now`` and no
    ``X-Amz-Date`` is added; a given ``X-Amz-Content-SHA256`` value is signed as
    the payload hash instead of the body's.

    Args:
        method: The HTTP method; signed uppercased.
        url: The absolute URL exactly as it goes on the wire: its path and query
            are signed as they appear (see the module docstring).
        headers: The request's header fields, in order; names in any case.
        body: The request body.
        credentials: Who signs.
        region: The credential scope's region, such as ``"us-east-1"``.
        service: The credential scope's service, such as ``"execute-api"``.
        now: The signing time; aware, or naive in UTC. Defaults to the clock.

    Returns:
        ``X-Amz-Date`` (or ``Date``), then ``X-Amz-Security-Token`` when
        ``credentials`` has a token, then ``Authorization``. Each replaces any
        given header of the same name.

    Raises:
        ValueError: ``url`` has no host and no ``Host`` header is given, or its
            port is not a number.
    """
    when = utc(now)
    stamp = amz_date(when)
    parts = urlsplit(url)
    given = header_map(headers)
    uses_date = "date" in given
    added = [("Date", _http_date(when)) if uses_date else ("X-Amz-Date", stamp)]
    if credentials.token:
        added.append(("X-Amz-Security-Token", credentials.token))

    replaced = {"authorization", "date", "x-amz-date"}
    if credentials.token:
        replaced.add("x-amz-security-token")
    to_sign = {
        name: values
        for name, values in given.items()
        if name not in replaced and name not in UNSIGNED_HEADERS
    }
    for name, value in added:
        to_sign[name.lower()] = [value]
    if "host" not in to_sign:
        to_sign["host"] = [host_from_url(parts.scheme, parts.hostname, parts.port)]

    payload = given["x-amz-content-sha256"][0] if "x-amz-content-sha256" in given else None
    payload = sha256(body) if payload is None else payload
    names = sorted(to_sign)
    canonical = canonical_request(method, parts.path, parts.query, to_sign, names, payload)
    scope = credential_scope(stamp[:8], region, service)
    signature = compute_signature(
        credentials.secret_key, scope, string_to_sign(stamp, scope, canonical)
    )
    added.append(
        (
            "Authorization",
            f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}",
        )
    )
    return added


def utc(now: datetime | None) -> datetime:
    """Return ``now`` (default: the clock) as an aware UTC datetime."""
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


def amz_date(when: datetime) -> str:
    """Format as ``YYYYMMDD'T'HHMMSS'Z'``, dropping fractions of a second."""
    return (
        f"{when.year:04d}{when.month:02d}{when.day:02d}"
        f"T{when.hour:02d}{when.minute:02d}{when.second:02d}Z"
    )


def _http_date(when: datetime) -> str:
    """Format as :func:`email.utils.formatdate` does for UTC, as botocore sends ``Date``."""
    return (
        f"{_DAYS[when.weekday()]}, {when.day:02d} {MONTHS[when.month - 1]} {when.year:04d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} -0000"
    )
