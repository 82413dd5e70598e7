"""Who may call a REST API route: IAM, Lambda authorizers, API keys and usage plans.

:class:`AccessControl` decides a request after its route matched and before the integration
runs, in the order API Gateway applies (AWS documents only part of it; the rest follows what
the ``AUTHORIZER`` key source forces, since that key is known only after the authorizer ran):

1. the route's authorization: ``AWS_IAM`` checks the SigV4 signature
   (:func:`bedrock_stream.sigv4.verify`); ``CUSTOM`` runs the Lambda authorizer
   (:mod:`~bedrock_stream.local.authorizers`) and evaluates its policy;
2. a required API key, from ``x-api-key`` or the authorizer's ``usageIdentifierKey``, must
   belong to a usage plan of the stage; then the plan's throttle and quota
   (:mod:`~bedrock_stream.local.usage_plans`).

A refusal carries API Gateway's response type, status, body and ``x-amzn-ErrorType``; the
front door applies the API's gateway responses to it. What is admitted adds to the proxy
event's ``requestContext``: ``authorizer`` (``principalId``, the context as strings,
``integrationLatency``) and ``identity`` (``apiKey``, ``apiKeyId``; for IAM the access key).

Locally, IAM means SigV4 signed for ``execute-api`` in the stack's region with credentials
the stack knows: there is no IAM to evaluate policies, so every such caller is allowed.
The only I/O is the authorizer's invocation, through the injected :class:`Invoker`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bedrock_stream import sigv4
from bedrock_stream.local import authorizers
from bedrock_stream.local.deployment import ACCOUNT
from bedrock_stream.local.invoker import TooManyRequests
from bedrock_stream.local.messages import GatewayResponse

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import AuthorizerSpec
    from bedrock_stream.local.invoker import Invoker
    from bedrock_stream.local.messages import Request
    from bedrock_stream.local.rest_api import Match
    from bedrock_stream.local.usage_plans import UsagePlans

__all__ = ["ANSWERS", "AccessControl", "Admitted", "Refused", "signed_by"]

AUTHORIZER_TIMEOUT = 30.0
"""Seconds an authorizer function may take before the request fails with a 500."""

ANSWERS: Mapping[str, GatewayResponse] = {
    "UNAUTHORIZED": GatewayResponse.message(401, "Unauthorized", "UnauthorizedException"),
    "EXPLICIT_DENY": GatewayResponse.message(
        403,
        "User is not authorized to access this resource with an explicit deny",
        "AccessDeniedException",
        key="Message",
    ),
    "IMPLICIT_DENY": GatewayResponse.message(
        403,
        "User is not authorized to access this resource",
        "AccessDeniedException",
        key="Message",
    ),
    "AUTHORIZER_CONFIGURATION_ERROR": GatewayResponse(
        500,
        (
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "AuthorizerConfigurationException"),
        ),
        b'{"message": null}',
    ),
    "MISSING_AUTHENTICATION_TOKEN": GatewayResponse.message(
        403, "Missing Authentication Token", "MissingAuthenticationTokenException"
    ),
    "INVALID_API_KEY": GatewayResponse.message(403, "Forbidden", "ForbiddenException"),
    "THROTTLED": GatewayResponse.message(429, "Too Many Requests", "TooManyRequestsException"),
    "QUOTA_EXCEEDED": GatewayResponse.message(429, "Limit Exceeded", "LimitExceededException"),
}
"""API Gateway's own answers for each refusal (both denials are ``ACCESS_DENIED``)."""


@dataclass(frozen=True)
class Refused:
    """A request API Gateway refuses before the integration."""

    response_type: str
    """The gateway response type, e.g. ``UNAUTHORIZED`` (for the API's customizations)."""
    response: GatewayResponse
    reason: str
    """For the stack's log line."""


@dataclass(frozen=True)
class Admitted:
    """A request let through, with what it adds to the event's ``requestContext``."""

    authorizer: Mapping[str, Any] | None = None
    identity: Mapping[str, str] = field(default_factory=dict)

    def apply(self, event: dict[str, Any]) -> None:
        """Add the caller's identity to a proxy ``event``."""
        context = event["requestContext"]
        if self.authorizer is not None:
            context["authorizer"] = dict(self.authorizer)
        context["identity"] = {**context.get("identity", {}), **self.identity}


def _refused(kind: str, reason: str, response_type: str | None = None) -> Refused:
    return Refused(response_type or kind, ANSWERS[kind], reason)


class AccessControl:
    """Decide requests to the routes of the REST APIs behind one front door.

    Args:
        lambdas: runs authorizer functions.
        usage_plans: the template's usage plans, shared by every API of the stack.
        iam_credentials: secret keys by access key, for ``AWS_IAM`` routes.
        region: the stack's region (method ARNs, SigV4 scope).
    """

    def __init__(
        self,
        lambdas: Invoker,
        usage_plans: UsagePlans,
        *,
        iam_credentials: Mapping[str, str],
        region: str,
    ) -> None:
        self._lambdas = lambdas
        self._plans = usage_plans
        self._iam = dict(iam_credentials)
        self._region = region
        self._cache = authorizers.AuthorizerCache()

    def check(self, request: Request, match: Match, event: Mapping[str, Any]) -> Admitted | Refused:
        """Decide ``request`` to ``match``'s route, whose proxy event is ``event``."""
        route, api = match.route, match.api
        admitted = Admitted()
        grant: authorizers.Grant | None = None
        if route.authorization == "AWS_IAM":
            checked = self._iam_check(request)
            if isinstance(checked, Refused):
                return checked
            admitted = checked
        elif route.authorization == "CUSTOM":
            if route.authorizer is None:  # the template reader never lets one through
                raise ValueError(f"{route.method} {route.path}: CUSTOM without an authorizer")
            arn = authorizers.method_arn(
                region=self._region,
                account=ACCOUNT,
                api_id=api.api_id,
                stage=api.stage,
                method=request.method,
                path=match.path,
            )
            decided = self._authorize(api.name, api.authorizers[route.authorizer], event, arn)
            if isinstance(decided, Refused):
                return decided
            grant, admitted = decided
        if not route.api_key_required:
            return admitted
        if api.api_key_source == "AUTHORIZER":
            key = grant.usage_identifier_key if grant is not None else None
        else:
            key = request.header("x-api-key")
        method_key = f"{route.path}/{route.method}"  # usage plans name the root //GET
        decision = self._plans.admit(key, api=api.name, stage=api.stage, method_key=method_key)
        if decision.refusal is not None or decision.metered is None:
            return _refused(decision.refusal or "INVALID_API_KEY", f"API key: {decision.refusal}")
        identity = {**admitted.identity, "apiKey": key or "", "apiKeyId": decision.metered.key_id}
        return Admitted(admitted.authorizer, identity)

    def _iam_check(self, request: Request) -> Admitted | Refused:
        try:
            auth = signed_by(request, self._iam, region=self._region, service="execute-api")
        except sigv4.MissingAuthentication:
            return _refused("MISSING_AUTHENTICATION_TOKEN", "IAM: unsigned request")
        except sigv4.SignatureError as exc:
            message = str(exc)
            if isinstance(exc, sigv4.SignatureMismatch):
                message += (
                    "\n\nThe Canonical String for this request should have been\n"
                    f"'{exc.canonical_request}'\n\nThe String-to-Sign should have been\n"
                    f"'{exc.string_to_sign}'\n"
                )
            response = GatewayResponse.message(403, message, exc.error_type)
            return Refused("INVALID_SIGNATURE", response, f"IAM: {type(exc).__name__}")
        user = f"arn:aws:iam::{ACCOUNT}:user/local"
        return Admitted(
            identity={
                "accessKey": auth.access_key,
                "accountId": ACCOUNT,
                "caller": auth.access_key,
                "user": auth.access_key,
                "userArn": user,
            }
        )

    def _authorize(
        self, api: str, spec: AuthorizerSpec, event: Mapping[str, Any], arn: str
    ) -> tuple[authorizers.Grant, Admitted] | Refused:
        key = authorizers.identity(spec, event)
        if key is None:
            return _refused("UNAUTHORIZED", f"authorizer {spec.name}: no identity")
        started = time.monotonic()
        grant = self._cache.get(api, spec, key)
        if grant is None:
            try:
                grant = self._invoke(spec, authorizers.authorizer_event(spec, event, arn))
            except authorizers.Unauthorized:
                return _refused("UNAUTHORIZED", f"authorizer {spec.name}: Unauthorized")
            except authorizers.AuthorizerError as exc:
                return _refused("AUTHORIZER_CONFIGURATION_ERROR", f"authorizer {spec.name}: {exc}")
            self._cache.put(api, spec, key, grant)
        verdict = grant.policy.evaluate("execute-api:Invoke", arn)
        if verdict == "explicit-deny":
            return _refused("EXPLICIT_DENY", f"authorizer {spec.name}: denied", "ACCESS_DENIED")
        if verdict == "implicit-deny":
            return _refused(
                "IMPLICIT_DENY", f"authorizer {spec.name}: not allowed", "ACCESS_DENIED"
            )
        latency = int((time.monotonic() - started) * 1000)
        context = {
            **grant.context,
            "principalId": grant.principal_id,
            "integrationLatency": latency,
        }
        return grant, Admitted(authorizer=context)

    def _invoke(self, spec: AuthorizerSpec, event: dict[str, Any]) -> authorizers.Grant:
        try:
            invocation = self._lambdas.invoke(
                spec.function, json.dumps(event).encode(), streaming=False
            )
        except TooManyRequests:
            raise authorizers.AuthorizerError(
                "the authorizer function is at its concurrency limit"
            ) from None
        try:
            result = invocation.result(AUTHORIZER_TIMEOUT)
        except TimeoutError:
            invocation.detach()
            raise authorizers.AuthorizerError("the authorizer function timed out") from None
        if result.error_type is not None or result.status != "success":
            raise authorizers.read_error(result.error_body)
        return authorizers.read_answer(result.body)


def signed_by(
    request: Request, credentials: Mapping[str, str], *, region: str, service: str
) -> sigv4.Authorization:
    """Check ``request``'s SigV4 signature against ``credentials`` (secret keys by access key).

    Raises:
        bedrock_stream.sigv4.SignatureError: the request is not signed by one of them, for
            ``service`` in ``region``, within five minutes of now.
    """
    target = request.target.encode("latin-1").decode("utf-8", "surrogateescape")
    return sigv4.verify(
        request.method,
        target,
        request.headers,
        request.body,
        secret_for=credentials.get,
        region=region,
        service=service,
    )
