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

Routes and gateway responses are read by :mod:`~bedrock_stream.local.template_routes`, who
may call a route by :mod:`~bedrock_stream.local.template_access`, in each of those forms, and
API keys and usage plans by :mod:`~bedrock_stream.local.template_plans`; what cannot be checked
offline is a :class:`TemplateError`, so that the local stack never serves a protected route
open. What is read is the model of :mod:`~bedrock_stream.local.deployment`.

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
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from bedrock_stream.local.deployment import ACCOUNT as ACCOUNT
from bedrock_stream.local.deployment import ApiKey as ApiKey
from bedrock_stream.local.deployment import AuthorizerSpec as AuthorizerSpec
from bedrock_stream.local.deployment import Function as Function
from bedrock_stream.local.deployment import FunctionUrl as FunctionUrl
from bedrock_stream.local.deployment import GatewayResponseSpec as GatewayResponseSpec
from bedrock_stream.local.deployment import PlanStage as PlanStage
from bedrock_stream.local.deployment import Quota as Quota
from bedrock_stream.local.deployment import RestApi as RestApi
from bedrock_stream.local.deployment import Route as Route
from bedrock_stream.local.deployment import Template as Template
from bedrock_stream.local.deployment import Throttle as Throttle
from bedrock_stream.local.deployment import UsagePlan as UsagePlan
from bedrock_stream.local.intrinsics import IntrinsicError, Intrinsics, cfn_string
from bedrock_stream.local.references import TemplateError as TemplateError
from bedrock_stream.local.references import ref
from bedrock_stream.local.template_access import check_authorizers
from bedrock_stream.local.template_plans import api_keys, usage_plans
from bedrock_stream.local.template_routes import rest_apis

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
_PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


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
    apis, route_warnings = rest_apis(resources)
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
    published = {
        ref(resource["Properties"].get("FunctionName"))
        for resource in resources.values()
        if resource.get("Type") == "AWS::Lambda::Version"
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
            snap_start=name in published
            and (properties.get("SnapStart") or {}).get("ApplyOn") == "PublishedVersions",
            max_concurrency=_max_concurrency(properties),
        )
    return functions


_PER_VCPU = {"python": 16, "nodejs": 64}
"""Lambda Managed Instances' default concurrency per vCPU, by runtime family."""


def _max_concurrency(properties: Mapping[str, Any]) -> int | None:
    """Return a Managed Instances function's concurrency per environment, else None.

    ``PerExecutionEnvironmentMaxConcurrency`` when given; else Lambda's default for the
    runtime per vCPU (Python 16, Node.js 64, others 1), the environment having
    ``MemorySize`` / ``ExecutionEnvironmentMemoryGiBPerVCpu`` (default 2 GiB) vCPUs, at
    least one.
    """
    config = (properties.get("CapacityProviderConfig") or {}).get(
        "LambdaManagedInstancesCapacityProviderConfig"
    )
    if not isinstance(config, Mapping):
        return None
    given = config.get("PerExecutionEnvironmentMaxConcurrency")
    if given is not None:
        return int(given)
    memory_gib = int(properties.get("MemorySize", 2048)) / 1024
    vcpus = max(1, int(memory_gib / float(config.get("ExecutionEnvironmentMemoryGiBPerVCpu", 2))))
    family = str(properties.get("Runtime", "")).rstrip("0123456789.x")
    return vcpus * _PER_VCPU.get(family, 1)
