"""Read a template the way it deploys: REST APIs, routes, functions and function URLs.

The template is translated with aws-sam-translator, the library SAM itself uses, so
Globals, implicit APIs, CORS preflight routes and the integration each ``Api`` event
produces are exactly what CloudFormation would receive. Streaming is read from the
result, whichever way the template declares it:

* a function ``Api`` event with ``ResponseTransferMode: RESPONSE_STREAM``;
* an OpenAPI ``DefinitionBody`` whose ``x-amazon-apigateway-integration`` has
  ``responseTransferMode: STREAM`` and a ``2021-11-15/.../response-streaming-invocations``
  URI (``Fn::Sub`` forms and ``AWS::Include`` of a local file included);
* plain CloudFormation: ``AWS::ApiGateway::Method`` resources on ``Resource`` paths, whose
  ``Integration`` has ``ResponseTransferMode: STREAM`` and that URI (``Fn::Sub`` or CDK's
  ``Fn::Join``), with ``AWS::ApiGateway::GatewayResponse`` resources.

Who may call a route is read by :mod:`~bedrock_stream.local.template_access`, in each of
those forms; what cannot be checked offline is a :class:`TemplateError`, so that the local
stack never serves a protected route open.

Conditions are evaluated for the parameter values (:mod:`~bedrock_stream.local.intrinsics`):
a resource whose ``Condition`` is false does not exist, and ``Fn::If`` takes its branch.

What the template cannot say locally is filled in: local ``CodeUri`` paths (and a plain
function's local ``Code`` directory, or a CDK asset found through the ``.assets.json``
manifest beside a synthesized template) are kept as directories, parameters take their
defaults unless overridden, and pseudo parameters get fixed local values. Mistakes that
deploy silently wrong are reported in :attr:`Template.warnings`, above all
``ResponseTransferMode: STREAM`` on a SAM ``Api`` event, which SAM turns into a BUFFERED
integration without a word.

Needs the ``local`` extra (aws-sam-translator, PyYAML).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import quote, unquote

from bedrock_stream.local.intrinsics import IntrinsicError, Intrinsics, cfn_string
from bedrock_stream.local.references import TemplateError, lambda_target, ref, sub_text
from bedrock_stream.local.template_access import (
    ApiKey,
    Authorization,
    AuthorizerSpec,
    KeySource,
    PlanStage,
    Quota,
    RouteAccess,
    SecurityScheme,
    Throttle,
    UsagePlan,
    api_keys,
    authorizer_resources,
    check_authorizers,
    key_source,
    method_access,
    operation_access,
    security_schemes,
    usage_plans,
)

__all__ = [
    "ACCOUNT",
    "ApiKey",
    "AuthorizerSpec",
    "Function",
    "FunctionUrl",
    "GatewayResponseSpec",
    "PlanStage",
    "Quota",
    "RestApi",
    "Route",
    "Template",
    "TemplateError",
    "Throttle",
    "UsagePlan",
    "load",
]

_LOCAL_BUCKET = "bedrock-stream-local-code"
ACCOUNT = "123456789012"
"""The local stack's AWS account id (``AWS::AccountId``, in ARNs, events and identities)."""
_PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


@dataclass(frozen=True)
class FunctionUrl:
    """A function's ``FunctionUrlConfig``."""

    invoke_mode: Literal["BUFFERED", "RESPONSE_STREAM"]
    auth_type: str
    cors: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Function:
    """An ``AWS::Serverless::Function`` after Globals, with what matters to run it locally."""

    name: str
    code_dir: Path
    handler: str
    runtime: str
    timeout: int = 3
    memory_size: int = 128
    architectures: tuple[str, ...] = ("x86_64",)
    environment: Mapping[str, str] = field(default_factory=dict)
    url: FunctionUrl | None = None


@dataclass(frozen=True)
class Route:
    """One method of one resource path of a REST API."""

    method: str
    """Upper case; ``ANY`` matches every method."""
    path: str
    """The resource path, e.g. ``/ask`` or ``/items/{id}``."""
    function: str | None
    """The Lambda proxy target's logical id; None for a MOCK integration."""
    streaming: bool = False
    """Integration response transfer mode ``STREAM`` (through InvokeWithResponseStream)."""
    timeout_ms: int = 29_000
    mock_headers: Mapping[str, str] = field(default_factory=dict)
    """Response headers of a MOCK integration (the CORS preflight SAM generates)."""
    authorization: Authorization = "NONE"
    """Who may call: anyone, IAM principals (SigV4), or a Lambda authorizer's verdict."""
    authorizer: str | None = None
    """The API's authorizer deciding a ``CUSTOM`` route (a key of :attr:`RestApi.authorizers`)."""
    api_key_required: bool = False
    """A valid API key of a usage plan of this stage is required."""

    @property
    def protected(self) -> bool:
        """Whether a caller must be authorized or bring an API key."""
        return self.authorization != "NONE" or self.api_key_required


@dataclass(frozen=True)
class GatewayResponseSpec:
    """A customized gateway response (``x-amazon-apigateway-gateway-responses``)."""

    status: int | None
    """The status to answer with instead of the default; None keeps it."""
    headers: tuple[tuple[str, str], ...]
    """Static header values (unquoted), e.g. ``Access-Control-Allow-Origin: *``."""


@dataclass(frozen=True)
class RestApi:
    """An API Gateway REST API with its stage and routes."""

    name: str
    stage: str
    routes: tuple[Route, ...]
    gateway_responses: Mapping[str, GatewayResponseSpec] = field(default_factory=dict)
    """By response type: ``DEFAULT_4XX``, ``DEFAULT_5XX``, ``THROTTLED``, ..."""
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)
    """The API's Lambda authorizers by name."""
    api_key_source: KeySource = "HEADER"
    """Where a required API key comes from: ``x-api-key``, or an authorizer's
    ``usageIdentifierKey``."""

    @property
    def api_id(self) -> str:
        """The API's local id, in its events and method ARNs."""
        return self.name.lower()[:10]


@dataclass(frozen=True)
class Template:
    """What a SAM template deploys, as far as the local stack needs it."""

    functions: Mapping[str, Function]
    apis: Mapping[str, RestApi]
    warnings: tuple[str, ...] = ()
    api_keys: Mapping[str, ApiKey] = field(default_factory=dict)
    """The ``AWS::ApiGateway::ApiKey`` resources by logical id."""
    usage_plans: Mapping[str, UsagePlan] = field(default_factory=dict)
    """The ``AWS::ApiGateway::UsagePlan`` resources by logical id, with their keys."""
    web_origin_parameter: str | None = None
    """The parameter that takes the origin of the page the local stack serves, so that the
    page may call the APIs (``Metadata: BedrockStreamLocal: WebOriginParameter``)."""


def load(
    path: str | os.PathLike[str],
    *,
    parameters: Mapping[str, str] | None = None,
    region: str = "us-east-1",
) -> Template:
    """Read and translate the SAM or CloudFormation template at ``path``.

    Args:
        path: the template file (YAML or JSON).
        parameters: parameter overrides; other parameters take their defaults.
        region: the value of ``AWS::Region``.

    Raises:
        TemplateError: unreadable YAML, a parameter without a value, an
            ``AWS::Include`` that is not a local file, or a template SAM rejects.
    """
    import boto3
    from samtranslator.intrinsics.resolver import IntrinsicsResolver
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    template_path = Path(path)
    root = template_path.parent
    try:
        source = yaml_parse(template_path.read_text())
    except Exception as exc:  # yaml's errors have no common base worth naming
        raise TemplateError(f"{template_path}: not a readable template: {exc}") from exc
    if not isinstance(source, dict) or not isinstance(source.get("Resources"), dict):
        raise TemplateError(f"{template_path}: a template needs a Resources mapping")
    values = _parameter_values(source, parameters or {}, region)
    source = _inline_includes(source, root)
    warnings = _transfer_mode_warnings(source)
    translatable = _with_placeholder_code(source)
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        # Managed policy names resolve from the map bundled with the translator; IAM is never asked.
        translated = translator.translate(translatable, dict(values))
    except InvalidDocumentException as exc:
        messages = "; ".join(str(error) for error in exc.causes)
        raise TemplateError(f"{template_path}: SAM rejects the template: {messages}") from exc
    resources = _deployed(translated, values, template_path)
    resources = _settled(IntrinsicsResolver(values).resolve_parameter_refs(resources))
    functions = _functions(resources, root, _cdk_assets(template_path))
    apis, route_warnings = _apis(resources)
    check_authorizers(apis, functions)
    return Template(
        functions,
        apis,
        tuple(warnings + route_warnings),
        api_keys=api_keys(resources),
        usage_plans=usage_plans(resources),
        web_origin_parameter=_web_origin_parameter(source),
    )


def _web_origin_parameter(source: dict[str, Any]) -> str | None:
    local = ((source.get("Metadata") or {}).get("BedrockStreamLocal")) or {}
    name = local.get("WebOriginParameter") if isinstance(local, dict) else None
    if name is not None and name not in (source.get("Parameters") or {}):
        raise TemplateError(f"Metadata BedrockStreamLocal: no parameter {name!r}")
    return None if name is None else str(name)


def _deployed(translated: dict[str, Any], values: dict[str, Any], where: Path) -> dict[str, Any]:
    """Return the resources these parameter values deploy, their ``Fn::If`` resolved."""
    intrinsics = Intrinsics(
        values, translated.get("Conditions"), mappings=translated.get("Mappings")
    )
    try:
        kept = {
            name: resource
            for name, resource in translated["Resources"].items()
            if "Condition" not in resource or intrinsics.condition(resource["Condition"])
        }
        pruned: dict[str, Any] = intrinsics.prune(kept)
    except IntrinsicError as exc:
        raise TemplateError(f"{where}: {exc}") from exc
    return pruned


def _cdk_assets(template_path: Path) -> dict[str, Path]:
    """Map each S3 key of a CDK stack's zip assets to its source directory.

    ``cdk synth`` writes ``<Stack>.assets.json`` beside ``<Stack>.template.json``; a template
    without one maps nothing.
    """
    manifest = template_path.with_name(
        template_path.name.removesuffix(".template.json") + ".assets.json"
    )
    if manifest == template_path or not manifest.is_file():
        return {}
    try:
        files = json.loads(manifest.read_text()).get("files") or {}
    except (OSError, ValueError) as exc:
        raise TemplateError(f"{manifest}: not a readable asset manifest: {exc}") from exc
    found = {}
    for asset in files.values():
        source = asset.get("source") or {}
        if source.get("packaging") != "zip" or not source.get("path"):
            continue
        for destination in (asset.get("destinations") or {}).values():
            found[str(destination.get("objectKey"))] = manifest.parent / source["path"]
    return found


def _parameter_values(
    source: dict[str, Any], overrides: Mapping[str, str], region: str
) -> dict[str, Any]:
    """Resolve every parameter as CloudFormation does: a string, checked against its spec."""
    values: dict[str, Any] = {**_PSEUDO, "AWS::Region": region, "AWS::StackName": "local"}
    for name, spec in (source.get("Parameters") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        if name in overrides:
            value = overrides[name]
        elif "Default" in spec:
            value = cfn_string(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no default: give it a value")
        _check_parameter(name, spec, value)
        values[name] = value
    unknown = set(overrides) - set(source.get("Parameters") or {})
    if unknown:
        raise TemplateError(f"unknown parameters: {', '.join(sorted(unknown))}")
    return values


def _check_parameter(name: str, spec: Mapping[str, Any], value: str) -> None:
    """Refuse a value CloudFormation would refuse (a typo must not change what deploys)."""
    allowed = [cfn_string(v) for v in spec.get("AllowedValues") or ()]
    if allowed and value not in allowed:
        raise TemplateError(f"parameter {name}: {value!r} is not one of {', '.join(allowed)}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), value) is None:
        raise TemplateError(f"parameter {name}: {value!r} does not match {pattern}")
    if not spec.get("MinLength", 0) <= len(value) <= spec.get("MaxLength", len(value)):
        raise TemplateError(f"parameter {name}: {value!r} has the wrong length")
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            raise TemplateError(f"parameter {name}: {value!r} is not a number") from None
        if not float(spec.get("MinValue", number)) <= number <= float(spec.get("MaxValue", number)):
            raise TemplateError(f"parameter {name}: {value} is out of its range")


def _inline_includes(node: Any, root: Path) -> Any:
    """Replace ``Fn::Transform: AWS::Include`` of a local file by the file's content."""
    from samtranslator.yaml_helper import yaml_parse

    if isinstance(node, list):
        return [_inline_includes(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    transform = node.get("Fn::Transform")
    if len(node) == 1 and isinstance(transform, dict) and transform.get("Name") == "AWS::Include":
        location = str((transform.get("Parameters") or {}).get("Location", ""))
        if "://" in location:
            raise TemplateError(f"AWS::Include of {location}: only local files can be read offline")
        return _inline_includes(yaml_parse((root / location).read_text()), root)
    return {key: _inline_includes(value, root) for key, value in node.items()}


def _transfer_mode_warnings(source: dict[str, Any]) -> list[str]:
    warnings = []
    for name, resource in source["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event_name, event in ((resource.get("Properties") or {}).get("Events") or {}).items():
            mode = (event.get("Properties") or {}).get("ResponseTransferMode")
            if event.get("Type") == "Api" and mode not in (None, "BUFFERED", "RESPONSE_STREAM"):
                warnings.append(
                    f"{name} event {event_name}: ResponseTransferMode: {mode} is not a SAM value; "
                    "SAM silently deploys a BUFFERED integration. Use RESPONSE_STREAM to stream."
                )
    return warnings


def _with_placeholder_code(source: dict[str, Any]) -> dict[str, Any]:
    """Swap local CodeUri paths for S3 placeholders the translator accepts."""
    translatable = copy.deepcopy(source)

    def placeholder(code_uri: Any) -> Any:
        if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
            return f"s3://{_LOCAL_BUCKET}/{quote(code_uri, safe='')}"
        return code_uri

    function_globals = ((translatable.get("Globals") or {}).get("Function")) or {}
    if "CodeUri" in function_globals:
        function_globals["CodeUri"] = placeholder(function_globals["CodeUri"])
    for resource in translatable["Resources"].values():
        properties = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function" and "CodeUri" in properties:
            properties["CodeUri"] = placeholder(properties["CodeUri"])
    return translatable


def _settled(node: Any) -> Any:
    """Turn an ``Fn::Sub`` left with nothing to substitute into its plain text."""
    if isinstance(node, list):
        return [_settled(item) for item in node]
    if not isinstance(node, dict):
        return node
    sub = node.get("Fn::Sub")
    if len(node) == 1 and isinstance(sub, str) and "${" not in sub:
        return sub
    return {key: _settled(value) for key, value in node.items()}


def _functions(
    resources: dict[str, Any], root: Path, assets: Mapping[str, Path]
) -> dict[str, Function]:
    urls = {
        ref(resource["Properties"].get("TargetFunctionArn")): resource["Properties"]
        for resource in resources.values()
        if resource.get("Type") == "AWS::Lambda::Url"
    }
    functions = {}
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        properties = resource["Properties"]
        code = properties.get("Code") or {}
        asset = assets.get(str(code.get("S3Key"))) if isinstance(code, dict) else None
        if asset is not None:
            code_dir = asset  # a CDK asset: its directory, from the cloud assembly
        elif isinstance(code, str) and "://" not in code:
            code_dir = root / code  # `aws cloudformation package`'s local form: Code: src/
        elif isinstance(code, dict) and code.get("S3Bucket") == _LOCAL_BUCKET:
            code_dir = root / unquote(code["S3Key"])  # a SAM CodeUri, kept local
        else:
            raise TemplateError(f"{name}: only a local CodeUri or Code path can run locally")
        url = urls.get(name)
        functions[name] = Function(
            name=name,
            code_dir=code_dir.resolve(),
            handler=str(properties.get("Handler", "")),
            runtime=str(properties.get("Runtime", "")),
            timeout=int(properties.get("Timeout", 3)),
            memory_size=int(properties.get("MemorySize", 128)),
            architectures=tuple(properties.get("Architectures") or ("x86_64",)),
            environment={
                key: str(value)
                for key, value in (
                    (properties.get("Environment") or {}).get("Variables") or {}
                ).items()
                if value is not None
            },
            url=None
            if url is None
            else FunctionUrl(
                invoke_mode=url.get("InvokeMode", "BUFFERED"),
                auth_type=url.get("AuthType", "AWS_IAM"),
                cors=url.get("Cors"),
            ),
        )
    return functions


def _apis(resources: dict[str, Any]) -> tuple[dict[str, RestApi], list[str]]:
    stages = {
        ref(resource["Properties"].get("RestApiId")): str(resource["Properties"]["StageName"])
        for resource in resources.values()
        if resource.get("Type") in ("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment")
        and (resource.get("Properties") or {}).get("StageName")
    }
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
            route, warning = _route(name, operation)
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


def _route(api: str, operation: _Operation) -> tuple[Route, list[str]]:
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
    match, function = lambda_target(uri)
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
