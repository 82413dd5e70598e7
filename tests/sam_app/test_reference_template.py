"""The reference template, verified without AWS: cfn-lint, SAM's translator, and its IAM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfn_eval import Evaluator

ROOT = Path(__file__).parents[2]
TEMPLATE = ROOT / "examples" / "sam-app" / "template.yaml"


def translated(**parameters: str) -> tuple[dict[str, Any], Evaluator]:
    """The template as SAM CLI would hand it to CloudFormation, plus an evaluator for it."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    source = yaml_parse(TEMPLATE.read_text())
    source["Globals"]["Function"]["CodeUri"] = "s3://bucket/app.zip"  # what `sam deploy` uploads
    session = boto3.session.Session(region_name="us-west-2")
    output = Translator(None, Parser(), boto_session=session).translate(source, {})
    return output, Evaluator(output, parameters)


def test_cfn_lint_passes() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    done = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def integration(output: dict[str, Any], api: str) -> dict[str, Any]:
    body = output["Resources"][api]["Properties"]["Body"]
    return body["paths"]["/ask"]["post"]["x-amazon-apigateway-integration"]  # type: ignore[no-any-return]


def test_streaming_route_streams_and_buffered_route_does_not() -> None:
    output, evaluator = translated()
    streaming = evaluator.eval(integration(output, "StreamingApi"))
    assert streaming["responseTransferMode"] == "STREAM"
    assert streaming["uri"].endswith(
        "/2021-11-15/functions/<StreamingFunction.Arn>/response-streaming-invocations"
    )
    assert streaming["timeoutInMillis"] == 900000
    buffered = evaluator.eval(integration(output, "NonStreamingApi"))
    assert "responseTransferMode" not in buffered
    assert buffered["uri"].endswith("/2015-03-31/functions/<BufferedFunction.Arn>/invocations")
    assert buffered["timeoutInMillis"] == 29000


def test_function_timeouts_fit_their_integrations() -> None:
    output, evaluator = translated()
    functions = {
        name: evaluator.eval(output["Resources"][name]["Properties"])
        for name in ("StreamingFunction", "BufferedFunction")
    }
    streaming_ms = evaluator.eval(integration(output, "StreamingApi"))["timeoutInMillis"]
    buffered_ms = evaluator.eval(integration(output, "NonStreamingApi"))["timeoutInMillis"]
    assert functions["StreamingFunction"]["Timeout"] * 1000 <= streaming_ms
    assert functions["BufferedFunction"]["Timeout"] * 1000 < buffered_ms
    for properties in functions.values():
        assert properties["Runtime"] == "python3.13"
        assert properties["TracingConfig"] == {"Mode": "Active"}
    streaming_env = functions["StreamingFunction"]["Environment"]["Variables"]
    assert streaming_env["AWS_LAMBDA_EXEC_WRAPPER"].startswith("/var/task/")
    assert (
        "AWS_LAMBDA_EXEC_WRAPPER" not in functions["BufferedFunction"]["Environment"]["Variables"]
    )


def policy_statements(output: dict[str, Any], evaluator: Evaluator, role: str) -> list[Any]:
    policies = evaluator.eval(output["Resources"][role]["Properties"].get("Policies", []))
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


@pytest.mark.parametrize(
    ("model_id", "resources"),
    [
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            [
                "arn:aws:bedrock:us-west-2:111122223333:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
                "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
            ],
        ),
        (
            "us.amazon.nova-pro-v1:0",
            [
                "arn:aws:bedrock:us-west-2:111122223333:inference-profile/us.amazon.nova-pro-v1:0",
                "arn:aws:bedrock:*::foundation-model/amazon.nova-pro-v1:0",
            ],
        ),
        (
            "eu.meta.llama3-2-3b-instruct-v1:0",
            [
                "arn:aws:bedrock:us-west-2:111122223333:inference-profile/eu.meta.llama3-2-3b-instruct-v1:0",
                "arn:aws:bedrock:*::foundation-model/meta.llama3-2-3b-instruct-v1:0",
            ],
        ),
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            ["arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"],
        ),
    ],
)
def test_iam_is_least_privilege_and_derived_from_the_model_id(
    model_id: str, resources: list[str]
) -> None:
    output, evaluator = translated(ModelId=model_id)
    for role, action in [
        ("StreamingFunctionRole", "bedrock:InvokeModelWithResponseStream"),
        ("BufferedFunctionRole", "bedrock:InvokeModel"),
    ]:
        (statement,) = policy_statements(output, evaluator, role)
        assert statement["Action"] == action
        assert statement["Resource"] == resources


def test_no_wildcard_actions_or_resources_anywhere() -> None:
    output, evaluator = translated()
    for name, resource in output["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for statement in policy_statements(output, evaluator, name):
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            assert all(
                "*" not in action and not action.startswith("bedrock-runtime") for action in actions
            )
            assert statement["Resource"] != "*"
            assert all(not r.endswith("/*") and r != "*" for r in statement["Resource"])


def test_both_stages_are_throttled_by_default() -> None:
    output, evaluator = translated()
    defaults = (
        evaluator.eval({"Ref": "ThrottlingRateLimit"}),
        evaluator.eval({"Ref": "ThrottlingBurstLimit"}),
    )
    assert 0 < float(defaults[0]) <= 100 and 0 < float(defaults[1]) <= 200
    for stage in ("StreamingApiProdStage", "NonStreamingApiProdStage"):
        (setting,) = evaluator.eval(output["Resources"][stage]["Properties"]["MethodSettings"])
        assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
        assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == defaults


@pytest.mark.parametrize("enabled", ["true", "false"])
def test_access_logs_and_the_account_singleton_only_when_opted_in(enabled: str) -> None:
    output, evaluator = translated(EnableAccessLogs=enabled)
    conditional = {
        name
        for name, resource in output["Resources"].items()
        if resource.get("Condition") == "AccessLogs"
    }
    assert conditional == {"AccessLogGroup", "ApiGatewayCloudWatchRole", "ApiGatewayAccount"}
    assert evaluator.condition("AccessLogs") is (enabled == "true")
    stage = evaluator.eval(output["Resources"]["StreamingApiProdStage"]["Properties"])
    assert ("AccessLogSetting" in stage) is (enabled == "true")
    if enabled == "true":
        log_format = stage["AccessLogSetting"]["Format"]
        assert "$context.requestId" in log_format
        assert "body" not in log_format.lower(), "prompts are user data"


@pytest.mark.parametrize("required", ["true", "false"])
def test_api_key_requirement_is_optional(required: str) -> None:
    output, evaluator = translated(RequireApiKey=required)
    for api in ("StreamingApi", "NonStreamingApi"):
        post = evaluator.eval(
            output["Resources"][api]["Properties"]["Body"]["paths"]["/ask"]["post"]
        )
        assert ("security" in post) is (required == "true")
    planned = {n for n, r in output["Resources"].items() if r.get("Condition") == "ApiKeyRequired"}
    assert planned == {"UsagePlan", "ApiKey", "UsagePlanKey"}


def test_cors_preflight_and_gateway_responses() -> None:
    output, evaluator = translated(AllowedOrigin="https://app.example")
    for api in ("StreamingApi", "NonStreamingApi"):
        body = evaluator.eval(output["Resources"][api]["Properties"]["Body"])
        options = body["paths"]["/ask"]["options"]["x-amazon-apigateway-integration"]
        assert options["type"] == "mock"
        parameters = options["responses"]["default"]["responseParameters"]
        assert (
            parameters["method.response.header.Access-Control-Allow-Origin"]
            == "'https://app.example'"
        )
        gateway = body["x-amazon-apigateway-gateway-responses"]
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
            headers = gateway[kind]["responseParameters"]
            assert (
                headers["gatewayresponse.header.Access-Control-Allow-Origin"]
                == "'https://app.example'"
            )


def test_outputs_are_the_full_ask_urls() -> None:
    output, evaluator = translated()
    outputs = evaluator.eval(output["Outputs"])
    assert outputs["StreamingApiUrl"]["Value"] == (
        "https://<StreamingApi>.execute-api.us-west-2.amazonaws.com/Prod/ask"
    )
    assert outputs["NonStreamingApiUrl"]["Value"].endswith("/Prod/ask")
