"""The SAM template reader: both ways to declare streaming, Globals, parameters, the trap."""

from __future__ import annotations

from pathlib import Path

import pytest

from bedrock_stream.local.template import Route, TemplateError, load

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
