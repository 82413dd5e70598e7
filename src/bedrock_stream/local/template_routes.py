"""How a REST API's routes and gateway responses are read from a translated template.

Routes come from an OpenAPI ``Body`` (SAM's translation of ``Api`` events, or the template's
own ``DefinitionBody``) and from ``AWS::ApiGateway::Method`` resources on ``Resource`` paths
(plain CloudFormation, CDK); each is brought to OpenAPI's form first, so one reader decides
its target, its streaming mode and what deploys wrong. Gateway responses come from
``x-amazon-apigateway-gateway-responses`` and ``AWS::ApiGateway::GatewayResponse`` resources.
Who may call a route is read by :mod:`~bedrock_stream.local.template_access`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from bedrock_stream.local.deployment import AuthorizerSpec, GatewayResponseSpec, RestApi, Route
from bedrock_stream.local.references import (
    TemplateError,
    function_aliases,
    lambda_target,
    ref,
    sub_text,
)
from bedrock_stream.local.template_access import (
    RouteAccess,
    SecurityScheme,
    authorizer_resources,
    key_source,
    method_access,
    operation_access,
    security_schemes,
)

__all__ = ["rest_apis"]


def rest_apis(resources: dict[str, Any]) -> tuple[dict[str, RestApi], list[str]]:
    """Read every REST API the resources deploy, with warnings on what deploys wrong."""
    stages = {
        ref(resource["Properties"].get("RestApiId")): str(resource["Properties"]["StageName"])
        for resource in resources.values()
        if resource.get("Type") in ("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment")
        and (resource.get("Properties") or {}).get("StageName")
    }
    aliases = function_aliases(resources)
    apis: dict[str, RestApi] = {}
    warnings: list[str] = []
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::ApiGateway::RestApi":
            continue
        properties = resource.get("Properties") or {}
        body = properties.get("Body") or {}
        schemes = security_schemes(name, body)
        operations = [
            *_openapi_operations(name, body, schemes),
            *_method_operations(resources, name),
        ]
        routes = []
        for operation in operations:
            route, warning = _route(name, operation, aliases)
            routes.append(route)
            warnings.extend(warning)
        gateway_responses = _gateway_responses(body.get("x-amazon-apigateway-gateway-responses"))
        gateway_responses.update(_gateway_responses(_gateway_response_resources(resources, name)))
        authorizers = {
            scheme.name: scheme for scheme in schemes.values() if isinstance(scheme, AuthorizerSpec)
        }
        authorizers.update(authorizer_resources(resources, name))
        apis[name] = RestApi(
            name=name,
            stage=stages.get(name, "Prod"),
            routes=tuple(routes),
            gateway_responses=gateway_responses,
            authorizers=authorizers,
            api_key_source=key_source(name, properties, body),
        )
    if any(r.get("Type") == "AWS::WAFv2::WebACLAssociation" for r in resources.values()):
        warnings.append("AWS WAF is not emulated: its web ACL rules do not apply locally")
    return apis, warnings


class _Operation(NamedTuple):
    """A route as OpenAPI describes it, whichever form the template used."""

    path: str
    method: str
    integration: dict[str, Any]
    """In OpenAPI's ``x-amazon-apigateway-integration`` form."""
    access: RouteAccess


def _openapi_operations(
    api: str, body: dict[str, Any], schemes: Mapping[str, SecurityScheme]
) -> list[_Operation]:
    """List the routes of an OpenAPI ``Body`` (SAM's translation, or the template's own)."""
    found = []
    default_security = body.get("security")
    for path, operations in (body.get("paths") or {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            name = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            integration = operation.get("x-amazon-apigateway-integration") or {}
            security = operation.get("security", default_security)
            where = f"{api} {name} {path}"
            found.append(
                _Operation(path, name, integration, operation_access(where, security, schemes))
            )
    return found


def _method_operations(resources: dict[str, Any], api: str) -> list[_Operation]:
    """List the routes built from ``AWS::ApiGateway::Method`` resources (CloudFormation, CDK)."""

    def path_of(node: Any) -> str:
        target = ref(node)
        if isinstance(node, dict) and "Fn::GetAtt" in node:
            return ""  # Fn::GetAtt [Api, RootResourceId]: the root
        parent = resources.get(target or "") or {}
        if parent.get("Type") != "AWS::ApiGateway::Resource":
            raise TemplateError(f"{api}: resource {target!r} is not an AWS::ApiGateway::Resource")
        properties = parent["Properties"]
        return f"{path_of(properties.get('ParentId'))}/{properties.get('PathPart', '')}"

    found = []
    for resource in resources.values():
        properties = resource.get("Properties") or {}
        if (
            resource.get("Type") != "AWS::ApiGateway::Method"
            or ref(properties.get("RestApiId")) != api
        ):
            continue
        integration = properties.get("Integration") or {}
        responses = integration.get("IntegrationResponses") or [{}]
        openapi = {
            "type": integration.get("Type", ""),
            "uri": integration.get("Uri"),
            "timeoutInMillis": integration.get("TimeoutInMillis", 29_000),
            "responses": {
                "default": {"responseParameters": responses[0].get("ResponseParameters")}
            },
        }
        if "ResponseTransferMode" in integration:
            openapi["responseTransferMode"] = integration["ResponseTransferMode"]
        path = path_of(properties.get("ResourceId")) or "/"
        method = str(properties.get("HttpMethod", "ANY")).upper()
        found.append(
            _Operation(path, method, openapi, method_access(f"{api} {method} {path}", properties))
        )
    return found


def _gateway_response_resources(resources: dict[str, Any], api: str) -> dict[str, Any]:
    """Collect the ``AWS::ApiGateway::GatewayResponse`` resources of ``api``, in OpenAPI's form."""
    return {
        str(properties.get("ResponseType")): {
            "statusCode": properties.get("StatusCode"),
            "responseParameters": properties.get("ResponseParameters"),
        }
        for resource in resources.values()
        if resource.get("Type") == "AWS::ApiGateway::GatewayResponse"
        and ref((properties := resource.get("Properties") or {}).get("RestApiId")) == api
    }


def _gateway_responses(specs: Any) -> dict[str, GatewayResponseSpec]:
    """Read the static parts of gateway responses: status and quoted header values."""
    found: dict[str, GatewayResponseSpec] = {}
    for response_type, spec in (specs or {}).items():
        if not isinstance(spec, dict):
            continue
        headers = []
        for key, value in (spec.get("responseParameters") or {}).items():
            name = str(key).removeprefix("gatewayresponse.header.")
            if name != key and isinstance(value, str) and len(value) >= 2 and value[0] == "'":
                headers.append((name, value.strip("'")))
        status = str(spec.get("statusCode") or "")
        found[str(response_type)] = GatewayResponseSpec(
            int(status) if status.isdigit() else None, tuple(headers)
        )
    return found


def _route(api: str, operation: _Operation, aliases: Mapping[str, str]) -> tuple[Route, list[str]]:
    path, method, integration = operation.path, operation.method, operation.integration
    access = operation.access
    where = f"{api} {method} {path}"
    kind = str(integration.get("type", "")).lower()
    timeout = int(integration.get("timeoutInMillis", 29_000))
    if kind == "mock":
        response = ((integration.get("responses") or {}).get("default")) or {}
        headers = {
            key.removeprefix("method.response.header."): str(value).strip("'")
            for key, value in (response.get("responseParameters") or {}).items()
        }
        return Route(
            method, path, None, timeout_ms=timeout, mock_headers=headers, **access._asdict()
        ), []
    uri = sub_text(integration.get("uri"))
    match, function = lambda_target(uri, aliases)
    if kind != "aws_proxy" or match is None:
        return Route(method, path, None, timeout_ms=timeout, **access._asdict()), [
            f"{where}: integration {kind or '?'} {uri!r} is not a Lambda proxy; not served locally"
        ]
    stream_uri = match["kind"] == "response-streaming-invocations"
    stream_mode = integration.get("responseTransferMode") == "STREAM"
    warnings = []
    if stream_mode and not stream_uri:
        warnings.append(
            f"{where}: responseTransferMode STREAM needs the 2021-11-15 "
            "response-streaming-invocations URI; API Gateway rejects STREAM with Invoke"
        )
    if stream_uri and not stream_mode:
        warnings.append(
            f"{where}: a response-streaming-invocations URI in BUFFERED mode is not supported "
            "by API Gateway; set responseTransferMode: STREAM"
        )
    if function is None:
        warnings.append(
            f"{where}: integration target {match['target']!r} is not a template function"
        )
    return Route(
        method,
        path,
        function,
        streaming=stream_mode and stream_uri,
        timeout_ms=timeout,
        **access._asdict(),
    ), warnings
