"""The SigV4 canonical request, string to sign and signature, as botocore computes them."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, unquote_to_bytes

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

ALGORITHM = "AWS4-HMAC-SHA256"
"""The only signing algorithm, first word of the ``Authorization`` header."""

TERMINATOR = "aws4_request"
"""The last element of every credential scope."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_request(
    method: str,
    path: str,
    query: str,
    fields: dict[str, list[str]],
    names: Iterable[str],
    payload_hash: str,
) -> str:
    """Return the canonical request over the header ``names``, in the order given."""
    names = list(names)
    lines = "".join(f"{name}:{_header_value(fields.get(name, ()))}\n" for name in names)
    return "\n".join(
        (
            method.upper(),
            _canonical_uri(path),
            _canonical_query(query),
            lines,
            ";".join(names),
            payload_hash,
        )
    )


def _canonical_uri(path: str) -> str:
    """Remove dot and empty segments from ``path``, then percent-encode it (again)."""
    if not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == ".." and segments:
            segments.pop()
        elif segment not in ("", ".", ".."):
            segments.append(segment)
    lead = "/" if path.startswith("/") else ""
    trail = "/" if path.endswith("/") and segments else ""
    return _encode(lead + "/".join(segments) + trail, safe="/")


def _canonical_query(query: str) -> str:
    """Decode and RFC 3986-encode each ``key=value`` pair; sort by key, then value."""
    if not query:
        return ""
    pairs = []
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        pairs.append((_reencode(key), _reencode(value)))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _reencode(component: str) -> str:
    """Percent-decode ``component`` to bytes and encode all but the unreserved characters."""
    return quote(unquote_to_bytes(component.encode("utf-8", "surrogateescape")), safe="")


def _encode(text: str, *, safe: str) -> str:
    """Percent-encode the UTF-8 of ``text``, keeping unreserved characters and ``safe``."""
    return quote(text.encode("utf-8", "surrogateescape"), safe=safe)


def _header_value(values: Iterable[str]) -> str:
    """Trim each value, fold its whitespace runs to one space; join repeats with ``,``."""
    return ",".join(" ".join(value.split()) for value in values)


def header_map(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Group header values by lowercased name, keeping their order."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


def host_from_url(scheme: str, hostname: str | None, port: int | None) -> str:
    """Return the ``host`` botocore signs: lowercase, no userinfo, no default port."""
    if not hostname:
        raise ValueError("url: has no host, and no Host header is given")
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return host


def credential_scope(date: str, region: str, service: str) -> str:
    """Return the credential scope ``<date>/<region>/<service>/aws4_request``."""
    return f"{date}/{region}/{service}/{TERMINATOR}"


def string_to_sign(stamp: str, scope: str, canonical_request: str) -> str:
    """Return the string to sign: algorithm, time stamp, scope, canonical request hash."""
    return f"{ALGORITHM}\n{stamp}\n{scope}\n{sha256(canonical_request.encode('utf-8'))}"


def compute_signature(secret_key: str, scope: str, string_to_sign: str) -> str:
    """HMAC ``string_to_sign`` with the key derived from the secret along ``scope``."""
    key = f"AWS4{secret_key}".encode()
    for element in scope.split("/"):
        key = hmac.new(key, element.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()
