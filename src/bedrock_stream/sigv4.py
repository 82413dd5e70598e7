"""AWS Signature Version 4 for request headers, sans I/O.

:func:`sign` computes the headers that authenticate a request, byte for byte as
botocore's ``SigV4Auth`` does for every service but S3; :func:`verify` checks a
request the way API Gateway checks an ``AWS_IAM`` method, and raises the
:class:`SignatureError` whose message API Gateway would send. Nothing here
opens a socket or reads a clock unless ``now`` is omitted, and only the standard
library is imported, so the module suits a Lambda cold path.

The canonical request (``AWS4-HMAC-SHA256``) is built as botocore builds it:

* the path has its dot segments and empty segments removed (a trailing ``/``
  is kept), then is percent-encoded *as it appears in the URL*: a path that is
  already encoded is encoded a second time (``%2F`` becomes ``%252F``);
* each query ``key=value`` is percent-decoded, re-encoded keeping only RFC 3986's
  unreserved characters, and the pairs are sorted by key then value (a bare
  ``key`` is ``key=``). botocore signs a URL's query text as it stands, so the
  two agree on every query so encoded, which is how botocore's own serializer
  writes them; for other spellings (``%7e``, ``+``) this module signs the
  canonical form the SigV4 specification describes (``~``, ``%2B``);
* header names are lowercased and sorted; each value has its surrounding
  whitespace removed and inner runs folded to one space, and repeated
  headers are joined with ``,`` in the order given;
* the payload hash is the hex SHA-256 of the body.

Header-based authentication only: presigned (query-string) requests are not
supported. Strings are UTF-8 encoded (with ``surrogateescape``, so a target
decoded that way round-trips); a server should decode header values as
Latin-1, as :mod:`http.client` encodes them.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote_to_bytes, urlsplit

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import ClassVar

__all__ = [
    "ALGORITHM",
    "UNSIGNED_HEADERS",
    "Authorization",
    "Credentials",
    "IncompleteSignature",
    "InvalidToken",
    "MissingAuthentication",
    "ScopeMismatch",
    "SignatureError",
    "SignatureExpired",
    "SignatureMismatch",
    "parse_authorization",
    "sign",
    "verify",
]

ALGORITHM = "AWS4-HMAC-SHA256"
"""The only signing algorithm, first word of the ``Authorization`` header."""

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

_TERMINATOR = "aws4_request"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GMT_ZONES = frozenset({"GMT", "UTC", "UT", "Z", "+0000", "-0000"})
_AMZ_DATE_FORMAT = "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""


# -- errors ---------------------------------------------------------------------------


class SignatureError(ValueError):
    """A request that SigV4 does not authenticate.

    Where AWS's wording is known the message is the text API Gateway sends in its
    403 body (``{"message": ...}``); :attr:`error_type` is the ``x-amzn-ErrorType``
    that goes with it.
    """

    error_type: ClassVar[str] = "InvalidSignatureException"


class MissingAuthentication(SignatureError):
    """The request has no ``Authorization`` header."""

    error_type = "MissingAuthenticationTokenException"


class IncompleteSignature(SignatureError):
    """A malformed ``Authorization`` header, or no usable request date."""

    error_type = "IncompleteSignatureException"


class InvalidToken(SignatureError):
    """The access key is unknown: ``secret_for`` returned ``None``."""

    error_type = "AccessDeniedException"  # what AWS's troubleshooting table for API Gateway gives


class ScopeMismatch(SignatureError):
    """The credential scope names another date, region or service than the request's."""


class SignatureExpired(SignatureError):
    """The request date is further from ``now`` than the allowed clock skew."""


class SignatureMismatch(SignatureError):
    """The signature differs from the one computed over the request.

    API Gateway's body appends the two strings the verifier computed to the
    message: ``"<message>\\n\\nThe Canonical String for this request should have
    been\\n'<canonical_request>'\\n\\nThe String-to-Sign should have been\\n
    '<string_to_sign>'\\n"`` (one string, wrapped here).
    """

    def __init__(self, message: str, *, canonical_request: str, string_to_sign: str) -> None:
        super().__init__(message)
        self.canonical_request = canonical_request
        """The canonical request the verifier computed."""
        self.string_to_sign = string_to_sign
        """The string to sign the verifier computed."""


_MISSING_AUTHENTICATION = "Missing Authentication Token"
_INVALID_TOKEN = "The security token included in the request is invalid."
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_REQUIRES_DATE = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)
_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


# -- values ---------------------------------------------------------------------------


class _Value:
    """An immutable value compared, hashed and shown by its fields, like a frozen dataclass.

    Written out rather than made by ``@dataclass``, whose generated methods cost
    this module's import several times over.
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _shown: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to {name!r}: {type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete {name!r}: {type(self).__name__} is frozen")

    def __reduce__(self) -> tuple[type[_Value], tuple[object, ...]]:
        return type(self), self._values()

    def _set(self, **values: object) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)


class Credentials(_Value):
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


class Authorization(_Value):
    """The parts of an ``AWS4-HMAC-SHA256`` ``Authorization`` header; immutable.

    ``Credential=<access_key>/<date>/<region>/<service>/aws4_request``, with
    :attr:`signed_headers` lowercased, in the order given.
    """

    __slots__ = ("access_key", "date", "region", "service", "signature", "signed_headers")
    __match_args__ = ("access_key", "date", "region", "service", "signed_headers", "signature")
    _fields = _shown = __match_args__
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    def __init__(
        self,
        access_key: str,
        date: str,
        region: str,
        service: str,
        signed_headers: tuple[str, ...],
        signature: str,
    ) -> None:
        self._set(
            access_key=access_key,
            date=date,
            region=region,
            service=service,
            signed_headers=signed_headers,
            signature=signature,
        )


# -- signing --------------------------------------------------------------------------


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
    when = _utc(now)
    stamp = _amz_date(when)
    parts = urlsplit(url)
    given = _header_map(headers)
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
        to_sign["host"] = [_host_from_url(parts.scheme, parts.hostname, parts.port)]

    payload = given["x-amz-content-sha256"][0] if "x-amz-content-sha256" in given else None
    payload = _sha256(body) if payload is None else payload
    names = sorted(to_sign)
    canonical = _canonical_request(method, parts.path, parts.query, to_sign, names, payload)
    scope = _scope(stamp[:8], region, service)
    signature = _signature(credentials.secret_key, scope, _string_to_sign(stamp, scope, canonical))
    added.append(
        (
            "Authorization",
            f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}",
        )
    )
    return added


# -- verifying ------------------------------------------------------------------------


def parse_authorization(value: str) -> Authorization:
    """Parse an ``AWS4-HMAC-SHA256`` ``Authorization`` header value.

    Args:
        value: The header value, such as ``"AWS4-HMAC-SHA256 Credential=AKID/20150830/
            us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date,
            Signature=<64 hex digits>"``.

    Returns:
        Its parts. The scope's region and service are not checked against anything.

    Raises:
        IncompleteSignature: A part is not ``key=value``; ``Credential``,
            ``SignedHeaders`` or ``Signature`` is missing or given twice; the
            algorithm is not ``AWS4-HMAC-SHA256``; the credential is not five
            ``/``-separated elements ending in ``aws4_request`` with an
            eight-digit date; a signed header name is empty; or the signature is
            not 64 hex digits.
    """
    value = value.strip()
    scheme, params, missing = _authorization_params(value)
    if missing:
        raise IncompleteSignature(" ".join([*missing, f"Authorization={value}"]))
    return _authorization(scheme, params)


def verify(
    method: str,
    target: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    *,
    secret_for: Callable[[str], str | None],
    region: str,
    service: str,
    now: datetime | None = None,
    max_skew: timedelta = timedelta(minutes=5),
) -> Authorization:
    """Check a request's ``Authorization`` header as API Gateway does.

    The signature is recomputed over exactly the headers named in
    ``SignedHeaders`` (repeated headers joined with ``,``; a missing one counts
    as empty) and compared in constant time. The request time is
    ``X-Amz-Date``, else ``Date``. The payload hash is always the body's own:
    an ``X-Amz-Content-SHA256`` header is signed like any other header but does
    not stand in for the body.

    Args:
        method: The HTTP method as received.
        target: The request target as received: the path, still percent-encoded
            as the client sent it, and an optional ``?query`` (an absolute-form
            target is accepted too).
        headers: The request's header fields as received.
        body: The request body.
        secret_for: Returns the secret key of an access key, or ``None`` if the
            key is unknown.
        region: The region the credential must be scoped to.
        service: The service the credential must be scoped to, such as
            ``"execute-api"``.
        now: The time to check the request date against, to the second; aware,
            or naive in UTC. Defaults to the clock.
        max_skew: How far the request date may be from ``now``, either way.

    Returns:
        The parsed ``Authorization`` header of the authenticated request.

    Raises:
        MissingAuthentication: No ``Authorization`` header.
        IncompleteSignature: A malformed ``Authorization`` header (see
            :func:`parse_authorization`), more than one, ``host`` not signed, or
            no parseable ``X-Amz-Date`` or ``Date`` header.
        ScopeMismatch: The credential scope's date is not the request's, or its
            region or service is not the expected one.
        SignatureExpired: The request date is more than ``max_skew`` from ``now``.
        InvalidToken: ``secret_for`` does not know the access key.
        SignatureMismatch: The signature is not the one computed.
    """
    fields = _header_map(headers)
    values = fields.get("authorization")
    if not values:
        raise MissingAuthentication(_MISSING_AUTHENTICATION)
    if len(values) > 1:
        raise IncompleteSignature("The request has more than one Authorization header.")
    value = values[0].strip()
    scheme, params, missing = _authorization_params(value)
    dated = fields.get("x-amz-date") or fields.get("date")
    if not dated:
        missing.append(_REQUIRES_DATE)
    if missing:
        raise IncompleteSignature(" ".join([*missing, f"Authorization={value}"]))
    auth = _authorization(scheme, params)
    if "host" not in auth.signed_headers:
        raise IncompleteSignature(_HOST_NOT_SIGNED)

    when, stamp, source = _request_time(fields)
    if auth.date != stamp[:8]:
        raise ScopeMismatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
            f"date from HTTP: '{auth.date}' != '{stamp[:8]}', from '{source}'."
        )
    if auth.region != region:
        raise ScopeMismatch(f"Credential should be scoped to a valid region, not '{auth.region}'.")
    if auth.service != service:
        raise ScopeMismatch(f"Credential should be scoped to correct service: '{service}'.")
    _check_skew(stamp, when, _utc(now).replace(microsecond=0), max_skew)

    secret = secret_for(auth.access_key)
    if secret is None:
        raise InvalidToken(_INVALID_TOKEN)
    path, query = _split_target(target)
    canonical = _canonical_request(method, path, query, fields, auth.signed_headers, _sha256(body))
    scope = _scope(auth.date, auth.region, auth.service)
    string_to_sign = _string_to_sign(stamp, scope, canonical)
    expected = _signature(secret, scope, string_to_sign)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise SignatureMismatch(
            _MISMATCH, canonical_request=canonical, string_to_sign=string_to_sign
        )
    return auth


def _authorization_params(value: str) -> tuple[str, dict[str, str], list[str]]:
    """Split a header value into its scheme, its parameters and the missing-parameter texts."""
    scheme, _, rest = value.replace("\t", " ").partition(" ")
    params: dict[str, str] = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        key, eq, item = part.partition("=")
        if not eq:
            raise IncompleteSignature(
                f"'{part}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{value}'."
            )
        key = key.strip()
        if key in params:
            raise IncompleteSignature(f"Authorization header gives '{key}' more than once.")
        params[key] = item.strip()
    missing = [
        f"Authorization header requires '{key}' parameter."
        for key in ("Credential", "Signature", "SignedHeaders")
        if key not in params
    ]
    return scheme, params, missing


def _authorization(scheme: str, params: dict[str, str]) -> Authorization:
    """Validate the parameters of a header that has all three."""
    if scheme != ALGORITHM:
        raise IncompleteSignature(
            f"Authorization header algorithm must be '{ALGORITHM}', not '{scheme}'."
        )
    credential = params["Credential"]
    elements = credential.split("/")
    if len(elements) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    access_key, date, region, service, terminator = elements
    if terminator != _TERMINATOR:
        raise IncompleteSignature(
            f"Credential should be scoped with a valid terminator: '{_TERMINATOR}', "
            f"not '{terminator}'."
        )
    if len(date) != 8 or not _DIGITS.issuperset(date):
        raise IncompleteSignature(
            f"Credential scope date must be eight digits (YYYYMMDD), got '{date}'."
        )
    listed = params["SignedHeaders"]
    names = tuple(name.strip().lower() for name in listed.split(";"))
    if not all(names):
        raise IncompleteSignature(
            f"SignedHeaders must be header names separated by ';', got '{listed}'."
        )
    signature = params["Signature"]
    if len(signature) != 64 or not _HEX.issuperset(signature):
        raise IncompleteSignature(f"Signature must be 64 hexadecimal digits, got '{signature}'.")
    return Authorization(access_key, date, region, service, names, signature)


def _request_time(fields: dict[str, list[str]]) -> tuple[datetime, str, str]:
    """Return the request time, its ``X-Amz-Date`` form and the header it came from."""
    if "x-amz-date" in fields:
        text = ",".join(fields["x-amz-date"]).strip()
        when = _parse_amz_date(text)
        if when is None:
            raise IncompleteSignature(f"{_AMZ_DATE_FORMAT}, got '{text}'.")
        return when, text, "X-Amz-Date"
    text = ",".join(fields["date"]).strip()
    when = _parse_http_date(text)
    if when is None:
        raise IncompleteSignature(
            f"Date must be an HTTP-date such as 'Sun, 06 Nov 1994 08:49:37 GMT', got '{text}'."
        )
    return when, _amz_date(when), "Date"


def _check_skew(stamp: str, when: datetime, now: datetime, max_skew: timedelta) -> None:
    """Raise :class:`SignatureExpired` if ``when`` is more than ``max_skew`` from ``now``."""
    seconds = max_skew.total_seconds()
    skew = f"{int(seconds // 60)} min" if seconds % 60 == 0 else f"{seconds:g} sec"
    if when < now - max_skew:
        raise SignatureExpired(
            f"Signature expired: {stamp} is now earlier than "
            f"{_amz_date(now - max_skew)} ({_amz_date(now)} - {skew}.)"
        )
    if when > now + max_skew:
        raise SignatureExpired(
            f"Signature not yet current: {stamp} is still later than "
            f"{_amz_date(now + max_skew)} ({_amz_date(now)} + {skew}.)"
        )


# -- the canonical request ------------------------------------------------------------


def _canonical_request(
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


def _header_map(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Group header values by lowercased name, keeping their order."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


def _split_target(target: str) -> tuple[str, str]:
    """Return the path and the query of a request target."""
    if not target.startswith("/") and "://" in target:
        parts = urlsplit(target)
        return parts.path, parts.query
    path, _, query = target.partition("#")[0].partition("?")
    return path, query


def _host_from_url(scheme: str, hostname: str | None, port: int | None) -> str:
    """Return the ``host`` botocore signs: lowercase, no userinfo, no default port."""
    if not hostname:
        raise ValueError("url: has no host, and no Host header is given")
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return host


# -- keys and strings -----------------------------------------------------------------


def _scope(date: str, region: str, service: str) -> str:
    return f"{date}/{region}/{service}/{_TERMINATOR}"


def _string_to_sign(stamp: str, scope: str, canonical_request: str) -> str:
    return f"{ALGORITHM}\n{stamp}\n{scope}\n{_sha256(canonical_request.encode('utf-8'))}"


def _signature(secret_key: str, scope: str, string_to_sign: str) -> str:
    """HMAC ``string_to_sign`` with the key derived from the secret along ``scope``."""
    key = f"AWS4{secret_key}".encode()
    for element in scope.split("/"):
        key = hmac.new(key, element.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- dates ----------------------------------------------------------------------------


def _utc(now: datetime | None) -> datetime:
    """Return ``now`` (default: the clock) as an aware UTC datetime."""
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


def _amz_date(when: datetime) -> str:
    """Format as ``YYYYMMDD'T'HHMMSS'Z'``, dropping fractions of a second."""
    return (
        f"{when.year:04d}{when.month:02d}{when.day:02d}"
        f"T{when.hour:02d}{when.minute:02d}{when.second:02d}Z"
    )


def _http_date(when: datetime) -> str:
    """Format as :func:`email.utils.formatdate` does for UTC, as botocore sends ``Date``."""
    return (
        f"{_DAYS[when.weekday()]}, {when.day:02d} {_MONTHS[when.month - 1]} {when.year:04d} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} -0000"
    )


def _parse_amz_date(text: str) -> datetime | None:
    """Parse ``YYYYMMDD'T'HHMMSS'Z'``; ``None`` if it is not one."""
    digits = text[:8] + text[9:15]
    if len(text) != 16 or text[8] != "T" or text[15] != "Z" or not _DIGITS.issuperset(digits):
        return None
    try:
        return datetime(
            int(text[:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[9:11]),
            int(text[11:13]),
            int(text[13:15]),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None


def _parse_http_date(text: str) -> datetime | None:
    """Parse ``Sun, 06 Nov 1994 08:49:37 GMT`` (or ``-0000``); ``None`` if it is not one."""
    words = text.split()
    if len(words) != 6 or not words[0].endswith(",") or words[5] not in _GMT_ZONES:
        return None
    day, month, year, clock = words[1:5]
    hms = clock.split(":")
    numbers = [day, year, *hms]
    if month not in _MONTHS or len(hms) != 3 or not all(map(_DIGITS.issuperset, numbers)):
        return None
    if not all(numbers):
        return None
    try:
        return datetime(
            int(year),
            _MONTHS.index(month) + 1,
            int(day),
            int(hms[0]),
            int(hms[1]),
            int(hms[2]),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
