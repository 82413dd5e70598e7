"""Verifying a request as API Gateway does: :func:`verify`, its date parsing and skew check."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from .authorization import DIGITS, Authorization, authorization_params, validated_authorization
from .canonical import (
    canonical_request,
    compute_signature,
    credential_scope,
    header_map,
    sha256,
    string_to_sign,
)
from .errors import (
    HOST_NOT_SIGNED,
    INVALID_TOKEN,
    MISMATCH,
    MISSING_AUTHENTICATION,
    REQUIRES_DATE,
    IncompleteSignature,
    InvalidToken,
    MissingAuthentication,
    ScopeMismatch,
    SignatureExpired,
    SignatureMismatch,
)
from .signing import MONTHS, amz_date, utc

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_GMT_ZONES = frozenset({"GMT", "UTC", "UT", "Z", "+0000", "-0000"})
_AMZ_DATE_FORMAT = "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""


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
    fields = header_map(headers)
    values = fields.get("authorization")
    if not values:
        raise MissingAuthentication(MISSING_AUTHENTICATION)
    if len(values) > 1:
        raise IncompleteSignature("The request has more than one Authorization header.")
    value = values[0].strip()
    scheme, params, missing = authorization_params(value)
    dated = fields.get("x-amz-date") or fields.get("date")
    if not dated:
        missing.append(REQUIRES_DATE)
    if missing:
        raise IncompleteSignature(" ".join([*missing, f"Authorization={value}"]))
    auth = validated_authorization(scheme, params)
    if "host" not in auth.signed_headers:
        raise IncompleteSignature(HOST_NOT_SIGNED)

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
    _check_skew(stamp, when, utc(now).replace(microsecond=0), max_skew)

    secret = secret_for(auth.access_key)
    if secret is None:
        raise InvalidToken(INVALID_TOKEN)
    path, query = _split_target(target)
    canonical = canonical_request(method, path, query, fields, auth.signed_headers, sha256(body))
    scope = credential_scope(auth.date, auth.region, auth.service)
    to_sign = string_to_sign(stamp, scope, canonical)
    expected = compute_signature(secret, scope, to_sign)
    if not hmac.compare_digest(expected.encode(), auth.signature.encode()):
        raise SignatureMismatch(MISMATCH, canonical_request=canonical, string_to_sign=to_sign)
    return auth


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
    return when, amz_date(when), "Date"


def _check_skew(stamp: str, when: datetime, now: datetime, max_skew: timedelta) -> None:
    """Raise :class:`SignatureExpired` if ``when`` is more than ``max_skew`` from ``now``."""
    seconds = max_skew.total_seconds()
    skew = f"{int(seconds // 60)} min" if seconds % 60 == 0 else f"{seconds:g} sec"
    if when < now - max_skew:
        raise SignatureExpired(
            f"Signature expired: {stamp} is now earlier than "
            f"{amz_date(now - max_skew)} ({amz_date(now)} - {skew}.)"
        )
    if when > now + max_skew:
        raise SignatureExpired(
            f"Signature not yet current: {stamp} is still later than "
            f"{amz_date(now + max_skew)} ({amz_date(now)} + {skew}.)"
        )


def _split_target(target: str) -> tuple[str, str]:
    """Return the path and the query of a request target."""
    if not target.startswith("/") and "://" in target:
        parts = urlsplit(target)
        return parts.path, parts.query
    path, _, query = target.partition("#")[0].partition("?")
    return path, query


def _parse_amz_date(text: str) -> datetime | None:
    """Parse ``YYYYMMDD'T'HHMMSS'Z'``; ``None`` if it is not one."""
    digits = text[:8] + text[9:15]
    if len(text) != 16 or text[8] != "T" or text[15] != "Z" or not DIGITS.issuperset(digits):
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
    if month not in MONTHS or len(hms) != 3 or not all(map(DIGITS.issuperset, numbers)):
        return None
    if not all(numbers):
        return None
    try:
        return datetime(
            int(year),
            MONTHS.index(month) + 1,
            int(day),
            int(hms[0]),
            int(hms[1]),
            int(hms[2]),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
