"""The SAM template reader: both ways to declare streaming, Globals, parameters, the trap."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bedrock_stream.local.deployment import (
    ApiKey,
    AuthorizerSpec,
    PlanStage,
    Quota,
    Route,
    Template,
    Throttle,
    UsagePlan,
)
from bedrock_stream.local.template import TemplateError, load

TEMPLATES = Path(__file__).parents[1] / "data" / "templates"


def routes(template_name: str, api: str, **parameters: str) -> dict[tuple[str, str], Route]:
    template = load(TEMPLATES / template_name, parameters=parameters)
    return {(r.method, r.path): r for r in template.apis[api].routes}


def test_api_event_form_streams_and_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    template = load(TEMPLATES / "events-form.yaml")
    assert template.warnings == ()
    streaming = template.apis["StreamingApi"]
    assert streaming.stage == "Prod"
    ask = {(r.method, r.path): r for r in streaming.routes}
    assert ask["POST", "/ask"] == Route(
        "POST", "/ask", "StreamingFunction", streaming=True, timeout_ms=300_000
    )
    preflight = ask["OPTIONS", "/ask"]
    assert preflight.function is None
    assert preflight.mock_headers == {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST,OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type",
    }
    (buffered,) = template.apis["NonStreamingApi"].routes
    assert buffered == Route("POST", "/ask", "BufferedFunction", streaming=False, timeout_ms=29_000)


def test_functions_take_globals_parameters_and_local_code(monkeypatch: pytest.MonkeyPatch) -> None:
    template = load(TEMPLATES / "events-form.yaml", parameters={"MaxTokens": "256"})
    streaming = template.functions["StreamingFunction"]
    assert streaming.code_dir == (TEMPLATES / "src").resolve()
    assert (streaming.handler, streaming.runtime) == ("app.handler", "python3.13")
    assert (streaming.timeout, streaming.memory_size) == (300, 512)
    assert streaming.architectures == ("arm64",)
    assert streaming.environment == {
        "AWS_LAMBDA_EXEC_WRAPPER": "/var/task/bedrock-stream",
        "MODEL_ID": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "MAX_TOKENS": "256",
    }
    assert streaming.url is not None
    assert (streaming.url.invoke_mode, streaming.url.auth_type) == ("RESPONSE_STREAM", "NONE")
    buffered = template.functions["BufferedFunction"]
    assert buffered.timeout == 25
    assert buffered.url is not None and buffered.url.invoke_mode == "BUFFERED"


def test_openapi_form_with_sub_string_and_list_forms() -> None:
    template = load(TEMPLATES / "openapi-form.yaml")
    ask = {(r.method, r.path): r for r in template.apis["StreamingApi"].routes}
    assert ask["POST", "/ask"] == Route(
        "POST", "/ask", "StreamingFunction", streaming=True, timeout_ms=900_000
    )
    assert ask["POST", "/ask-list-form"].function == "StreamingFunction"
    assert ask["POST", "/ask-list-form"].streaming


def test_aws_include_of_a_local_file_and_mismatch_warnings() -> None:
    template = load(TEMPLATES / "openapi-form.yaml")
    included = template.apis["IncludedApi"]
    assert included.stage == "v1"
    by_path = {r.path: r for r in included.routes}
    assert by_path["/stream"].streaming
    assert by_path["/stream"].function == "StreamingFunction"
    assert not by_path["/mismatch"].streaming
    (warning,) = template.warnings
    assert "IncludedApi POST /mismatch" in warning and "2021-11-15" in warning


def test_the_stream_trap_is_reported_loudly_and_deploys_buffered() -> None:
    template = load(TEMPLATES / "stream-trap.yaml", parameters={"Required": "x"})
    (warning,) = template.warnings
    assert "ResponseTransferMode: STREAM" in warning
    assert "BUFFERED" in warning and "RESPONSE_STREAM" in warning
    (api,) = template.apis.values()
    (route,) = api.routes
    assert route.function == "Function"
    assert route.streaming is False, "exactly what SAM deploys"


@pytest.mark.parametrize(
    ("name", "parameters", "message"),
    [
        ("stream-trap.yaml", {}, "Required has no default"),
        ("events-form.yaml", {"Nope": "1"}, "unknown parameters: Nope"),
    ],
)
def test_parameter_errors(name: str, parameters: dict[str, str], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        load(TEMPLATES / name, parameters=parameters)


def test_remote_include_and_invalid_templates_are_clear_errors(tmp_path: Path) -> None:
    remote = tmp_path / "remote.yaml"
    remote.write_text(
        (TEMPLATES / "openapi-form.yaml").read_text().replace("openapi/api.yaml", "s3://b/api.yaml")
    )
    with pytest.raises(TemplateError, match="only local files"):
        load(remote)
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources: [unclosed")
    with pytest.raises(TemplateError, match="not a readable template"):
        load(broken)
    rejected = tmp_path / "rejected.yaml"
    rejected.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/\n"
        "      Runtime: python3.13\n      Events:\n        A:\n          Type: Api\n"
        "          Properties: {Path: 42}\n"
    )
    with pytest.raises(TemplateError, match="SAM rejects"):
        load(rejected)


def test_plain_cloudformation_functions_run_from_a_local_code_path(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    template = tmp_path / "template.yaml"
    function = (
        "  F:\n    Type: AWS::Lambda::Function\n    Properties:\n"
        "      Runtime: python3.13\n      Handler: app.handler\n      Role: arn:aws:iam::1:role/r\n"
    )
    template.write_text(f"Resources:\n{function}      Code: src/\n")
    (loaded,) = load(template).functions.values()
    assert (loaded.code_dir, loaded.handler) == ((tmp_path / "src").resolve(), "app.handler")
    template.write_text(f"Resources:\n{function}      Code: {{S3Bucket: b, S3Key: k.zip}}\n")
    with pytest.raises(TemplateError, match="F: only a local CodeUri or Code path"):
        load(template)
    template.write_text(f"Resources:\n{function}      Code: s3://b/k.zip\n")
    with pytest.raises(TemplateError, match="F: only a local CodeUri or Code path"):
        load(template)


METHODS_TEMPLATE = """
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.13, Handler: app.handler, Role: r, Code: src/, Timeout: 60}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: api}
  Items:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: items}
  Item:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !Ref Items, PathPart: "{id}"}
  StreamItem:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Item
      HttpMethod: get
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        ResponseTransferMode: STREAM
        TimeoutInMillis: 60000
        Uri: !Join ["", ["arn:", !Ref AWS::Partition, ":apigateway:", !Ref AWS::Region,
              ":lambda:path/2021-11-15/functions/", !GetAtt Fn.Arn,
              "/response-streaming-invocations"]]
  Root:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: ANY
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub
          - arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${F}/invocations
          - {F: !GetAtt Fn.Arn}
  Preflight:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Items
      HttpMethod: OPTIONS
      Integration:
        Type: MOCK
        IntegrationResponses:
          - StatusCode: "204"
            ResponseParameters:
              method.response.header.Access-Control-Allow-Origin: "'*'"
  Throttled:
    Type: AWS::ApiGateway::GatewayResponse
    Properties:
      RestApiId: !Ref Api
      ResponseType: THROTTLED
      StatusCode: "429"
      ResponseParameters:
        gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [StreamItem, Root, Preflight]
    Properties: {RestApiId: !Ref Api, StageName: live}
"""


def test_plain_cloudformation_methods_resources_and_gateway_responses(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(METHODS_TEMPLATE)
    template = load(tmp_path / "template.yaml")
    api = template.apis["Api"]
    assert api.stage == "live"
    assert {(r.method, r.path): r for r in api.routes} == {
        ("GET", "/items/{id}"): Route(
            "GET", "/items/{id}", "Fn", streaming=True, timeout_ms=60_000
        ),
        ("ANY", "/"): Route("ANY", "/", "Fn"),
        ("OPTIONS", "/items"): Route(
            "OPTIONS", "/items", None, mock_headers={"Access-Control-Allow-Origin": "*"}
        ),
    }
    assert api.gateway_responses["THROTTLED"].status == 429
    assert api.gateway_responses["THROTTLED"].headers == (("Access-Control-Allow-Origin", "*"),)
    assert template.warnings == ()


def test_a_method_on_an_unknown_resource_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    broken = METHODS_TEMPLATE.replace("ResourceId: !Ref Item\n", "ResourceId: !Ref Nowhere\n")
    (tmp_path / "template.yaml").write_text(broken)
    with pytest.raises(TemplateError, match="Api: resource 'Nowhere'"):
        load(tmp_path / "template.yaml")


# -- who may call: CloudFormation methods, OpenAPI schemes, conditions -----------------------

ACCESS_TEMPLATE = (TEMPLATES / "access.yaml").read_text()


def _access(tmp_path: Path, text: str = ACCESS_TEMPLATE, **parameters: str) -> Template:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "template.yaml").write_text(text)
    return load(tmp_path / "template.yaml", parameters=parameters)


def test_cloudformation_authorizers_keys_and_usage_plans_are_read(tmp_path: Path) -> None:
    template = _access(tmp_path)
    api = template.apis["Api"]
    assert api.api_key_source == "AUTHORIZER"
    assert api.authorizers == {
        "Tokens": AuthorizerSpec(
            name="Tokens",
            type="TOKEN",
            function="Gate",
            identity_sources=("method.request.header.Authorization",),
            ttl=60,
            validation_expression="^Bearer .+$",
        )
    }
    by_method = {r.method: r for r in api.routes}
    assert (by_method["POST"].authorization, by_method["POST"].authorizer) == ("CUSTOM", "Tokens")
    assert by_method["POST"].api_key_required is True
    assert (by_method["GET"].authorization, by_method["GET"].api_key_required) == ("AWS_IAM", False)
    assert template.api_keys == {
        "Key": ApiKey("Key", "abcdefghijklmnopqrstuvwxyz", enabled=True),
        "Unused": ApiKey("Unused", "zyxwvutsrqponmlkjihgfedcba", enabled=False),  # the default
    }
    assert template.usage_plans == {
        "Plan": UsagePlan(
            name="Plan",
            stages=(PlanStage("Api", "live", {"//POST": Throttle(2.0, 3)}),),
            keys=("Key",),
            throttle=Throttle(10.0, 20),
            quota=Quota(50, "WEEK", 5),
        )
    }


def test_conditions_decide_which_resources_exist_and_which_branch_counts(tmp_path: Path) -> None:
    template = _access(tmp_path, Mode="open")
    assert template.api_keys == {} and template.usage_plans == {}
    ask = next(r for r in template.apis["Api"].routes if r.method == "POST")
    assert ask.api_key_required is False  # Fn::If took its false branch


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("Type: TOKEN", "Type: COGNITO_USER_POOLS"), "Cognito user pool authorizer cannot be"),
        (("${Gate.Arn}", "arn:aws:lambda:us-east-1:1:function:elsewhere"), "cannot run offline"),
        (("AuthorizerId: !Ref Tokens", "AuthorizerId: !Ref Nothing"), "'Nothing' is not defined"),
        (("AuthorizationType: AWS_IAM", "AuthorizationType: KERBEROS"), "'KERBEROS' is not"),
        (
            (
                "Type: TOKEN\n      IdentitySource: method.request.header.Authorization",
                "Type: REQUEST",
            ),
            "needs identity sources",
        ),
        (("Period: WEEK", "Period: YEAR"), "quota period 'YEAR'"),
    ],
)
def test_what_cannot_be_checked_offline_is_refused_not_served_open(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(TemplateError, match=re.escape(message)):
        _access(tmp_path, ACCESS_TEMPLATE.replace(*change))


def test_a_resource_policy_is_refused_and_waf_reported_as_not_enforced(tmp_path: Path) -> None:
    with_policy = ACCESS_TEMPLATE.replace(
        "Properties: {Name: api, ApiKeySourceType: AUTHORIZER}",
        'Properties: {Name: api, ApiKeySourceType: AUTHORIZER, Policy: {Version: "2012-10-17"}}',
    )
    with pytest.raises(TemplateError, match="a resource policy cannot be evaluated offline"):
        _access(tmp_path, with_policy)
    with_waf = ACCESS_TEMPLATE + (
        "  Acl:\n    Type: AWS::WAFv2::WebACLAssociation\n"
        "    Properties: {ResourceArn: x, WebACLArn: y}\n"
    )
    assert any(
        w.startswith("AWS WAF is not emulated") for w in _access(tmp_path, with_waf).warnings
    )


@pytest.mark.parametrize("value", ["!FindInMap [Keys, on, value]", '"TRUE-ish"', "{Ref: Mode}"])
def test_an_api_key_requirement_that_cannot_be_read_is_an_error_not_open(
    tmp_path: Path, value: str
) -> None:
    text = ACCESS_TEMPLATE.replace(
        "ApiKeyRequired: !If [Keyed, true, false]", f"ApiKeyRequired: {value}"
    )
    with pytest.raises(TemplateError, match=r"ApiKeyRequired .* cannot be read offline"):
        _access(tmp_path, text)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"Authentication": "api_key"}, "'api_key' is not one of API_KEY, IAM, NONE"),
        ({"AllowedOrigin": "*"}, "'*' does not match"),
        ({"StreamingTimeout": "901"}, "901 is out of its range"),
        ({"QuotaPerDay": "many"}, "'many' is not a number"),
    ],
)
def test_a_parameter_cloudformation_would_refuse_is_refused(
    parameters: dict[str, str], message: str
) -> None:
    # A typo must not change what runs: Authentication=api_key would otherwise serve it open.
    with pytest.raises(TemplateError, match=re.escape(message)):
        load(
            Path(__file__).parents[2] / "examples" / "sam-app" / "template.yaml",
            parameters=parameters,
        )


def test_conditions_compare_values_as_cloudformation_does(tmp_path: Path) -> None:
    # YAML's true and the string "true" are one value to CloudFormation.
    text = ACCESS_TEMPLATE.replace(
        "  Mode: {Type: String, Default: keyed}",
        "  Mode: {Type: String, Default: keyed}\n  Flag: {Type: String, Default: true}",
    ).replace("Keyed: !Equals [!Ref Mode, keyed]", "Keyed: !Equals [!Ref Flag, true]")
    assert _access(tmp_path, text).usage_plans
    assert _access(tmp_path, text, Flag="true").usage_plans
    assert not _access(tmp_path, text, Flag="false").usage_plans


SAM_AUTH = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Auth:
        DefaultAuthorizer: Tokens
        Authorizers:
          Tokens:
            FunctionArn: !GetAtt Gate.Arn
            Identity: {Header: X-Token}
  Gate:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Handler: gate.handler, Runtime: python3.13}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      Events:
        Guarded: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /guarded, Method: get}}
        Health:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /health, Method: get, Auth: {Authorizer: NONE}}
"""


def test_sams_token_header_and_its_none_marker_are_read(tmp_path: Path) -> None:
    api = _access(tmp_path, SAM_AUTH).apis["Api"]
    assert api.authorizers["Tokens"].identity_sources == ("method.request.header.X-Token",)
    by_path = {r.path: r for r in api.routes}
    assert (by_path["/guarded"].authorization, by_path["/guarded"].authorizer) == (
        "CUSTOM",
        "Tokens",
    )
    assert by_path["/health"].authorization == "NONE" and not by_path["/health"].protected


def test_openapi_security_schemes_unknown_to_api_gateway_are_refused(tmp_path: Path) -> None:
    body = {
        "openapi": "3.0.1",
        "paths": {"/x": {"get": {"security": [{"oauth": []}]}}},
        "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {}}}},
    }
    text = (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n"
        "    Type: AWS::Serverless::Api\n"
        f"    Properties: {{StageName: Prod, DefinitionBody: {json.dumps(body)}}}\n"
    )
    with pytest.raises(TemplateError, match="security scheme oauth: 'oauth2' cannot be checked"):
        _access(tmp_path, text)


def test_the_web_origin_parameter_is_read_from_the_metadata(tmp_path: Path) -> None:
    text = "Metadata:\n  BedrockStreamLocal: {WebOriginParameter: Mode}\n" + ACCESS_TEMPLATE
    assert _access(tmp_path, text).web_origin_parameter == "Mode"
    with pytest.raises(TemplateError, match="no parameter 'Nope'"):
        _access(tmp_path, text.replace("WebOriginParameter: Mode", "WebOriginParameter: Nope"))


SNAPSTART = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  SnapStart: {Type: String, AllowedValues: ["true", "false"], Default: "false"}
Conditions:
  Snap: !Equals [!Ref SnapStart, "true"]
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      DefinitionBody:
        openapi: "3.0.1"
        info: {title: t, version: "1"}
        paths:
          /alias:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub @${Fn.Alias}/invocations
          /qualified:
            post:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub @${Fn.Arn}:live/invocations
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      AutoPublishAlias: live
      SnapStart: !If [Snap, {ApplyOn: PublishedVersions}, !Ref AWS::NoValue]
  Unpublished:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.13
      SnapStart: {ApplyOn: PublishedVersions}
""".replace("@", "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/")


def test_snapstart_needs_a_published_version_and_routes_may_target_the_alias(
    tmp_path: Path,
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "template.yaml").write_text(SNAPSTART)
    on = load(tmp_path / "template.yaml", parameters={"SnapStart": "true"})
    off = load(tmp_path / "template.yaml")
    assert on.functions["Fn"].snap_start and not off.functions["Fn"].snap_start
    # SnapStart applies to published versions only: $LATEST alone runs on demand.
    assert not on.functions["Unpublished"].snap_start
    for template in (on, off):
        assert {r.path: r.function for r in template.apis["Api"].routes} == {
            "/alias": "Fn",
            "/qualified": "Fn",
        }
        assert not template.warnings
