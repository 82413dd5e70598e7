"""Who may call the Bedrock emulator: a Bedrock API key (a bearer token) or a SigV4 signature.

Bedrock takes either in ``Authorization``: ``Bearer <API key>`` (what botocore sends when
``AWS_BEARER_TOKEN_BEDROCK`` is set) or ``AWS4-HMAC-SHA256 Credential=...``. Its refusals come
from AWS's front end, before Bedrock: 403 ``AccessDeniedException`` with the error type in
coral's service namespace and the message in a capitalized ``Message`` member, which botocore
reads as it reads ``message``:

- no ``Authorization``: ``Authorization header is missing`` (the wire response quoted in
  karthink/gptel#1397; anthropics/claude-code#44963);
- a bearer token without an API key's prefix: ``Invalid API Key format: Must start with
  pre-defined prefix`` (aws-solutions-library-samples/guidance-for-claude-code-with-amazon-
  bedrock#784; farion1231/cc-switch#1679);
- a well-formed key Bedrock does not know: ``Authentication failed: Please make sure your API
  Key is valid.`` (ai4s-research/open-science#53).

Long-term keys start ``ABSK``, short-term ones ``bedrock-api-key-``. Locally any non-empty token
is a key unless :class:`Access` is given the keys to accept. Any other ``Authorization`` is
read as SigV4: its header must parse (else 403 ``IncompleteSignatureException``, API Gateway's
words), but the signature is not checked against any credentials.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from bedrock_stream import sigv4

from .schema import ServiceError, encode_json

__all__ = ["KEY_PREFIXES", "Access", "AuthError"]

KEY_PREFIXES = ("ABSK", "bedrock-api-key-")
"""How Bedrock API keys begin: long-term keys, then short-term ones."""
MISSING = "Authorization header is missing"
BAD_FORMAT = "Invalid API Key format: Must start with pre-defined prefix"
UNKNOWN_KEY = "Authentication failed: Please make sure your API Key is valid."
_ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.coral.service/"

Scheme = Literal["bearer", "sigv4"]


class AuthError(ServiceError):
    """A request AWS's front end refuses before Bedrock sees it (403, ``{"Message": ...}``)."""

    def __init__(self, message: str, code: str = "AccessDeniedException") -> None:
        super().__init__(403, code, message)

    def response(self, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
        """``(status, headers, body)`` as the front end sends it."""
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", self.code + _ERROR_TYPE_SUFFIX),
        ]
        return self.status, headers, encode_json({"Message": self.message})


class Access:
    """The emulator's rule for ``Authorization``: which API keys it takes, and SigV4.

    Args:
        api_keys: the bearer tokens accepted; None accepts any non-empty token (as any
            access key signs a SigV4 request locally).
    """

    def __init__(self, api_keys: Iterable[str] | None = None) -> None:
        self.api_keys = None if api_keys is None else frozenset(api_keys)

    def check(self, authorization: str | None) -> Scheme:
        """Return how the request authenticates; :class:`AuthError` if it does not."""
        if authorization is None or not authorization.strip():
            raise AuthError(MISSING)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer":
            self._check_key(token.strip())
            return "bearer"
        try:
            sigv4.parse_authorization(authorization)
        except sigv4.SignatureError as error:
            raise AuthError(str(error), error.error_type) from None
        return "sigv4"

    def _check_key(self, token: str) -> None:
        if self.api_keys is None and token:
            return
        if self.api_keys is not None and token in self.api_keys:
            return
        raise AuthError(UNKNOWN_KEY if token.startswith(KEY_PREFIXES) else BAD_FORMAT)
