"""Lambda authorizers as API Gateway runs them, sans I/O: events, answers and the cache.

For a route whose authorization is ``CUSTOM``, API Gateway:

1. reads the authorizer's identity sources from the request (:func:`identity`). One that is
   missing or empty, or a TOKEN that fails the ``identityValidationExpression``, is a 401
   without calling the function;
2. looks the identity up in its cache (:class:`AuthorizerCache`; ``ttl`` 0 caches nothing);
3. otherwise calls the function with :func:`authorizer_event` (TOKEN: the token and the
   method ARN; REQUEST: the request without its body) and reads its answer with
   :func:`read_answer`. A function error whose message is exactly ``Unauthorized`` is a 401;
   any other error, or an answer that is not a valid result, is a 500
   (``AuthorizerConfigurationException``);
4. evaluates the result's policy against this request's method ARN, cached or not. A
   cached policy that names one method therefore refuses the next route the same caller
   asks for, exactly as on AWS: return a policy for the whole API when caching.

The result's ``context`` reaches the integration as ``requestContext.authorizer``, every
value a string, beside ``principalId``; its ``usageIdentifierKey`` is the API key of a
request when the API takes its keys from the authorizer.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bedrock_stream.errors import LocalStackError
from bedrock_stream.local.policy import Policy, PolicyError, parse
from bedrock_stream.protocol.headers import header

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import AuthorizerSpec

__all__ = [
    "AuthorizerCache",
    "AuthorizerError",
    "Grant",
    "Unauthorized",
    "authorizer_event",
    "identity",
    "method_arn",
    "read_answer",
    "read_error",
]


class Unauthorized(LocalStackError):
    """The caller is not authenticated: API Gateway's 401 ``Unauthorized``."""


class AuthorizerError(LocalStackError):
    """The authorizer failed or answered something unusable: API Gateway's 500."""


@dataclass(frozen=True)
class Grant:
    """A valid authorizer result: who the caller is and what the policy lets them do."""

    principal_id: str
    policy: Policy
    context: Mapping[str, str]
    """The result's ``context``, every value as the string API Gateway passes on."""
    usage_identifier_key: str | None = None


def method_arn(
    *, region: str, account: str, api_id: str, stage: str, method: str, path: str
) -> str:
    """Return the ARN API Gateway authorizes: ``.../{stage}/{METHOD}{path as requested}``."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{method.upper()}{path}"


def identity(spec: AuthorizerSpec, event: Mapping[str, Any]) -> tuple[str, ...] | None:
    """Return the values of ``spec``'s identity sources in a proxy ``event``, or None.

    None means one is missing or empty, the authorizer is then not called.

    A TOKEN value that does not match the validation expression counts as missing.
    """
    values = []
    for source in spec.identity_sources:
        value = _source_value(source, event)
        if not value:
            return None
        values.append(value)
    expression = spec.validation_expression if spec.type == "TOKEN" else None
    if expression is not None and (not values or re.fullmatch(expression, values[0]) is None):
        return None
    return tuple(values)


def _source_value(source: str, event: Mapping[str, Any]) -> str | None:
    kind, _, name = source.partition(".request.")
    if kind == "method":
        where, _, key = name.partition(".")
        if where == "header":
            headers = event.get("headers") or {}
            return header(headers.items(), key)
        if where == "querystring":
            return (event.get("queryStringParameters") or {}).get(key)
        return None
    scope, _, path = source.partition(".")
    if scope == "stageVariables":
        return (event.get("stageVariables") or {}).get(path)
    if scope == "context":
        node: Any = event.get("requestContext") or {}
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return None if node is None else str(node)
    return None


def authorizer_event(spec: AuthorizerSpec, event: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """Build the authorizer function's event from the proxy ``event`` of a request."""
    if spec.type == "TOKEN":
        token = _source_value(spec.identity_sources[0], event) if spec.identity_sources else None
        return {"type": "TOKEN", "authorizationToken": token or "", "methodArn": arn}
    request = {k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")}
    return {"type": "REQUEST", "methodArn": arn, **request}


def read_answer(payload: bytes) -> Grant:
    """Read an authorizer function's successful answer.

    Raises:
        AuthorizerError: not a JSON object, no string ``principalId``, an invalid
            ``policyDocument``, a ``context`` value that is not a string, number or boolean,
            or a ``usageIdentifierKey`` that is not a string.
    """
    try:
        answer = json.loads(payload)
    except (ValueError, RecursionError):
        raise AuthorizerError("the authorizer's answer is not JSON") from None
    if not isinstance(answer, dict):
        raise AuthorizerError("the authorizer's answer is not an object")
    principal = answer.get("principalId")
    if not isinstance(principal, str | int | float) or isinstance(principal, bool):
        raise AuthorizerError("the authorizer's answer has no principalId")
    try:
        policy = parse(answer.get("policyDocument"))
    except PolicyError as exc:
        raise AuthorizerError(f"the authorizer's policy: {exc}") from None
    context = answer.get("context")
    if context is None:
        context = {}
    elif not isinstance(context, dict):
        raise AuthorizerError("the authorizer's context is not an object")
    key = answer.get("usageIdentifierKey")
    if key is not None and not isinstance(key, str):
        raise AuthorizerError("the authorizer's usageIdentifierKey is not a string")
    return Grant(str(principal), policy, _stringified(context), key)


def _stringified(context: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for name, value in context.items():
        if isinstance(value, bool):
            found[str(name)] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            found[str(name)] = str(value)
        else:
            raise AuthorizerError(f"context value {name!r} is not a string, number or boolean")
    return found


def read_error(body: bytes | None) -> Exception:
    """Classify an authorizer's error: :class:`Unauthorized` or :class:`AuthorizerError`."""
    try:
        message = json.loads(body or b"null").get("errorMessage")
    except (ValueError, AttributeError, RecursionError):
        message = None
    if message == "Unauthorized":
        return Unauthorized("the authorizer refused the caller")
    return AuthorizerError("the authorizer failed")


class AuthorizerCache:
    """Authorizer results by (API, authorizer, identity), each kept for its authorizer's TTL.

    Only results are cached, never errors. Thread-safe.

    Args:
        clock: seconds, monotonic.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, str, tuple[str, ...]], tuple[float, Grant]] = {}
        self._lock = threading.Lock()

    def get(self, api: str, spec: AuthorizerSpec, key: Iterable[str]) -> Grant | None:
        """Return the cached result of ``api``'s authorizer for ``key`` if it is still fresh."""
        if spec.ttl <= 0:
            return None
        entry_key = (api, spec.name, tuple(key))
        with self._lock:
            entry = self._entries.get(entry_key)
            if entry is None:
                return None
            expires, grant = entry
            if self._clock() >= expires:
                del self._entries[entry_key]
                return None
            return grant

    def put(self, api: str, spec: AuthorizerSpec, key: Iterable[str], grant: Grant) -> None:
        """Cache ``grant`` for ``key`` for ``spec.ttl`` seconds (not at all when 0)."""
        if spec.ttl <= 0:
            return
        with self._lock:
            self._entries[(api, spec.name, tuple(key))] = (self._clock() + spec.ttl, grant)
