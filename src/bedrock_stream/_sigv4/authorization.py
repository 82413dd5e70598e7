"""The ``Authorization`` header of a SigV4 request: :class:`Authorization` and its parser."""

from __future__ import annotations

from .canonical import ALGORITHM, TERMINATOR
from .errors import IncompleteSignature
from .value import Value

DIGITS = frozenset("0123456789")
"""The characters of a decimal number."""
_HEX = frozenset("0123456789abcdefABCDEF")


class Authorization(Value):
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
    scheme, params, missing = authorization_params(value)
    if missing:
        raise IncompleteSignature(" ".join([*missing, f"Authorization={value}"]))
    return validated_authorization(scheme, params)


def authorization_params(value: str) -> tuple[str, dict[str, str], list[str]]:
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


def validated_authorization(scheme: str, params: dict[str, str]) -> Authorization:
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
    if terminator != TERMINATOR:
        raise IncompleteSignature(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{terminator}'."
        )
    if len(date) != 8 or not DIGITS.issuperset(date):
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
