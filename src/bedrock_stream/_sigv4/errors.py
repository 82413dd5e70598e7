"""SigV4's refusals: :class:`SignatureError`, its subclasses and the messages API Gateway sends."""

from __future__ import annotations

from bedrock_stream.errors import RemoteProtocolError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from typing import ClassVar


class SignatureError(RemoteProtocolError, ValueError):
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


MISSING_AUTHENTICATION = "Missing Authentication Token"
INVALID_TOKEN = "The security token included in the request is invalid."
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
REQUIRES_DATE = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)
HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
