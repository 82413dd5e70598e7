"""Who may call a REST API, as a translated template declares it.

Read from OpenAPI ``security`` requirements and their schemes (an API key, ``awsSigv4``, a
Lambda authorizer in ``x-amazon-apigateway-authorizer``: the form SAM's ``Auth`` translates
to, its ``NONE`` marker included), from ``AWS::ApiGateway::Authorizer`` resources and a
``Method``'s ``AuthorizationType``, ``AuthorizerId`` and ``ApiKeyRequired`` (the API keys
and usage plans themselves are read by :mod:`~bedrock_stream.local.template_plans`). What
cannot be checked offline (a Cognito user pool authorizer, a resource policy, a setting that
cannot be read) is a :class:`~bedrock_stream.local.references.TemplateError`: the local stack
never serves a protected route open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from bedrock_stream.local.deployment import ApiKey as ApiKey
from bedrock_stream.local.deployment import Authorization as Authorization
from bedrock_stream.local.deployment import AuthorizerSpec as AuthorizerSpec
from bedrock_stream.local.deployment import KeySource as KeySource
from bedrock_stream.local.deployment import PlanStage as PlanStage
from bedrock_stream.local.deployment import Quota as Quota
from bedrock_stream.local.deployment import Throttle as Throttle
from bedrock_stream.local.deployment import UsagePlan as UsagePlan
from bedrock_stream.local.references import TemplateError, flag, lambda_target, ref
from bedrock_stream.local.template_plans import api_keys as api_keys
from bedrock_stream.local.template_plans import usage_plans as usage_plans

if TYPE_CHECKING:
    from bedrock_stream.local.deployment import Function, RestApi

__all__ = [
    "COGNITO",
    "ApiKey",
    "Authorization",
    "AuthorizerSpec",
    "KeySource",
    "PlanStage",
    "Quota",
    "RouteAccess",
    "SecurityScheme",
    "Throttle",
    "UsagePlan",
    "api_keys",
    "authorizer_resources",
    "check_authorizers",
    "key_source",
    "method_access",
    "operation_access",
    "security_schemes",
    "usage_plans",
]


class RouteAccess(NamedTuple):
    """Who may call one route."""

    authorization: Authorization = "NONE"
    authorizer: str | None = None
    """The API's authorizer deciding a ``CUSTOM`` route."""
    api_key_required: bool = False


SecurityScheme = Literal["API_KEY", "AWS_IAM"] | AuthorizerSpec
"""What an OpenAPI security scheme asks for: an API key, SigV4, or a Lambda authorizer."""


def security_schemes(api: str, body: dict[str, Any]) -> dict[str, SecurityScheme]:
    """Read the security schemes of an OpenAPI 3 or Swagger 2 ``Body``."""
    schemes = {
        **(body.get("securityDefinitions") or {}),
        **((body.get("components") or {}).get("securitySchemes") or {}),
    }
    return {str(name): _scheme(api, str(name), spec) for name, spec in schemes.items()}


def _scheme(api: str, name: str, spec: Any) -> SecurityScheme:
    where = f"{api} security scheme {name}"
    if not isinstance(spec, dict):
        raise TemplateError(f"{where}: not a mapping")
    authtype = str(spec.get("x-amazon-apigateway-authtype", "")).lower()
    authorizer = spec.get("x-amazon-apigateway-authorizer")
    if authtype == "cognito_user_pools" or (
        isinstance(authorizer, dict)
        and str(authorizer.get("type", "")).lower() == "cognito_user_pools"
    ):
        raise TemplateError(COGNITO.format(where=where))
    if isinstance(authorizer, dict):
        kind = str(authorizer.get("type", "token")).upper()
        if kind not in ("TOKEN", "REQUEST"):
            raise TemplateError(f"{where}: authorizer type {kind!r} is not TOKEN or REQUEST")
        # A TOKEN authorizer's token is the header the scheme names (SAM writes no source).
        source = authorizer.get("identitySource")
        if kind == "TOKEN" and not source and spec.get("name"):
            source = f"method.request.header.{spec['name']}"
        return _authorizer(
            where,
            name,
            kind,
            authorizer.get("authorizerUri"),
            source,
            authorizer.get("authorizerResultTtlInSeconds"),
            authorizer.get("identityValidationExpression"),
        )
    if authtype == "awssigv4":
        return "AWS_IAM"
    located = (str(spec.get("name", "")).lower(), spec.get("in"), spec.get("type"))
    if not authtype and located == ("x-api-key", "header", "apiKey"):
        return "API_KEY"
    raise TemplateError(
        f"{where}: {authtype or spec.get('type')!r} cannot be checked offline; "
        "the local stack refuses to serve its routes open"
    )


COGNITO = (
    "{where}: a Cognito user pool authorizer cannot be checked offline (its tokens are "
    "signed with the user pool's keys), and the local stack never serves a protected route "
    "open. Locally, protect the route with a Lambda authorizer or an API key instead "
    "(e.g. through a template parameter)"
)


def _authorizer(
    where: str,
    name: str,
    kind: str,
    uri: Any,
    identity_source: Any,
    ttl: Any,
    expression: Any,
) -> AuthorizerSpec:
    _, function = lambda_target(uri)
    if function is None:
        raise TemplateError(
            f"{where}: authorizer URI {uri!r} does not name a function of this template, "
            "so it cannot run offline"
        )
    sources = tuple(part.strip() for part in str(identity_source or "").split(",") if part.strip())
    if kind == "TOKEN" and len(sources) > 1:
        raise TemplateError(f"{where}: a TOKEN authorizer reads one header, not {len(sources)}")
    if kind == "TOKEN" and not sources:
        sources = ("method.request.header.Authorization",)
    seconds = 300 if ttl is None else int(ttl)
    if kind == "REQUEST" and seconds > 0 and not sources:
        raise TemplateError(
            f"{where}: a REQUEST authorizer that caches its results (TTL {seconds} s) needs "
            "identity sources, as API Gateway requires; or set its TTL to 0"
        )
    return AuthorizerSpec(
        name=name,
        type="TOKEN" if kind == "TOKEN" else "REQUEST",
        function=function,
        identity_sources=sources,
        ttl=seconds,
        validation_expression=None if expression in (None, "") else str(expression),
    )


def authorizer_resources(resources: dict[str, Any], api: str) -> dict[str, AuthorizerSpec]:
    """Read the ``AWS::ApiGateway::Authorizer`` resources of ``api`` (CloudFormation, CDK)."""
    found = {}
    for logical_id, resource in resources.items():
        properties = resource.get("Properties") or {}
        if (
            resource.get("Type") != "AWS::ApiGateway::Authorizer"
            or ref(properties.get("RestApiId")) != api
        ):
            continue
        where = f"{api} authorizer {logical_id}"
        kind = str(properties.get("Type", "")).upper()
        if kind == "COGNITO_USER_POOLS":
            raise TemplateError(COGNITO.format(where=where))
        if kind not in ("TOKEN", "REQUEST"):
            raise TemplateError(f"{where}: type {kind!r} is not TOKEN or REQUEST")
        found[logical_id] = _authorizer(
            where,
            logical_id,
            kind,
            properties.get("AuthorizerUri"),
            properties.get("IdentitySource"),
            properties.get("AuthorizerResultTtlInSeconds"),
            properties.get("IdentityValidationExpression"),
        )
    return found


def operation_access(
    where: str, security: Any, schemes: Mapping[str, SecurityScheme]
) -> RouteAccess:
    """Read an OpenAPI operation's ``security`` requirements (each applies: AND, not OR)."""
    authorization: Authorization = "NONE"
    authorizer = None
    api_key = False
    if not isinstance(security, list | type(None)):
        raise TemplateError(f"{where}: its security requirements cannot be read offline")
    for requirement in security or ():
        for name in requirement or {}:
            if name == "NONE" and "NONE" not in schemes:
                continue  # SAM's marker for a route without the default authorizer
            scheme = schemes.get(str(name))
            if scheme is None:
                raise TemplateError(f"{where}: security scheme {name!r} is not defined")
            if scheme == "API_KEY":
                api_key = True
                continue
            if authorization != "NONE":
                raise TemplateError(f"{where}: more than one authorizer; API Gateway takes one")
            if scheme == "AWS_IAM":
                authorization = "AWS_IAM"
            else:
                authorization, authorizer = "CUSTOM", scheme.name
    return RouteAccess(authorization, authorizer, api_key)


def method_access(where: str, properties: Mapping[str, Any]) -> RouteAccess:
    """Read an ``AWS::ApiGateway::Method``'s authorization and API key requirement."""
    kind = str(properties.get("AuthorizationType") or "NONE").upper()
    if kind == "COGNITO_USER_POOLS":
        raise TemplateError(COGNITO.format(where=where))
    if kind not in _AUTHORIZATIONS:
        raise TemplateError(f"{where}: authorization type {kind!r} is not known")
    authorizer = ref(properties.get("AuthorizerId")) if kind == "CUSTOM" else None
    if kind == "CUSTOM" and authorizer is None:
        raise TemplateError(f"{where}: a CUSTOM method needs an AuthorizerId")
    required = flag(where, "ApiKeyRequired", properties.get("ApiKeyRequired", False))
    return RouteAccess(_AUTHORIZATIONS[kind], authorizer, required)


def key_source(api: str, properties: Mapping[str, Any], body: Mapping[str, Any]) -> KeySource:
    """Read where ``api``'s keys come from; refuse a resource policy, which runs nowhere here."""
    if properties.get("Policy") or body.get("x-amazon-apigateway-policy"):
        raise TemplateError(
            f"{api}: a resource policy cannot be evaluated offline, and the local stack "
            "never serves a restricted API open; leave it out locally (e.g. through a "
            "condition on a parameter)"
        )
    source = body.get("x-amazon-apigateway-api-key-source") or properties.get(
        "ApiKeySourceType", "HEADER"
    )
    if source not in _KEY_SOURCES:
        raise TemplateError(f"{api}: API key source {source!r} is not HEADER or AUTHORIZER")
    return _KEY_SOURCES[source]


_AUTHORIZATIONS: Mapping[str, Authorization] = {
    "NONE": "NONE",
    "AWS_IAM": "AWS_IAM",
    "CUSTOM": "CUSTOM",
}
_KEY_SOURCES: Mapping[str, KeySource] = {"HEADER": "HEADER", "AUTHORIZER": "AUTHORIZER"}


def check_authorizers(apis: Mapping[str, RestApi], functions: Mapping[str, Function]) -> None:
    """Every route's authorizer exists and runs a function of the template."""
    for api in apis.values():
        for route in api.routes:
            if route.authorizer is not None and route.authorizer not in api.authorizers:
                raise TemplateError(
                    f"{api.name} {route.method} {route.path}: authorizer "
                    f"{route.authorizer!r} is not defined"
                )
        for authorizer in api.authorizers.values():
            if authorizer.function not in functions:
                raise TemplateError(
                    f"{api.name} authorizer {authorizer.name}: {authorizer.function!r} is not "
                    "a function of this template, so it cannot run offline"
                )
