"""The FastAPI example's template (examples/fastapi-app), verified without AWS.

The checks every shipped template passes (cfn-lint, throttled stages, least-privilege roles,
expiring logs, Bedrock through the one profile) are in ``test_reference_template.py``; these
are the example's own: every path streams to the app, and it is closed as it ships.
"""

from __future__ import annotations

import os
import re

import pytest
from shipped_templates import FASTAPI, MODES, Deployed

ROUTES = (("/", "x-amazon-apigateway-any-method"), ("/{proxy+}", "x-amazon-apigateway-any-method"))
"""Every method of every path, the root included: the app routes each request itself."""
ARN = "arn:aws:execute-api:us-west-2:111122223333"


def deployed(**parameters: str) -> Deployed:
    return Deployed(FASTAPI.template, **parameters)


def test_every_path_and_method_streams_to_the_app() -> None:
    api = deployed()
    paths = api.properties("Api")["Body"]["paths"]
    assert {(path, method) for path, operations in paths.items() for method in operations} == set(
        ROUTES
    )
    for path, method in ROUTES:
        integration = api.integration("Api", path, method)
        assert integration["type"] == "aws_proxy"
        assert integration["responseTransferMode"] == "STREAM"
        assert integration["uri"].endswith(
            "/2021-11-15/functions/<AppFunction.Arn>/response-streaming-invocations"
        )
        assert integration["timeoutInMillis"] == 900000


@pytest.mark.parametrize("timeout", ["10", "120", "900"])
def test_a_runaway_stream_ends_at_the_deadline_guard_before_any_gateway_limit(timeout: str) -> None:
    api = deployed(FunctionTimeout=timeout)
    function = api.properties("AppFunction")
    guard = float(function["Environment"]["Variables"]["BEDROCK_STREAM_DEADLINE_GUARD"])
    assert 0 < guard < int(function["Timeout"]) == int(timeout)
    assert int(timeout) * 1000 <= api.integration("Api", "/", ROUTES[0][1])["timeoutInMillis"]


def test_the_function_starts_through_the_committed_wrapper_with_bounded_caps() -> None:
    api = deployed()
    function = api.properties("AppFunction")
    variables = function["Environment"]["Variables"]
    wrapper = (
        FASTAPI.template.parent
        / "src"
        / variables["AWS_LAMBDA_EXEC_WRAPPER"].removeprefix("/var/task/")
    )
    assert os.access(wrapper, os.X_OK)
    assert (function["Runtime"], function["Handler"]) == ("python3.13", "app.handler")
    assert function["TracingConfig"] == {"Mode": "Active"}
    assert (int(variables["MAX_TOKENS"]), int(variables["MAX_MESSAGE_CHARS"])) == (1024, 2000)
    assert api.output["Parameters"]["MaxTokens"]["MaxValue"] == 8192
    source = (FASTAPI.template.parent / "src" / "app.py").read_text()
    read = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source))
    assert read == {"MODEL_ID", "MAX_TOKENS", "MAX_MESSAGE_CHARS"} <= variables.keys()


def test_by_default_every_call_needs_the_usage_plans_key() -> None:
    api = deployed()
    for path, method in ROUTES:
        assert api.operation("Api", path, method)["security"] == [{"api_key": []}]
    schemes = api.properties("Api")["Body"]["components"]["securitySchemes"]
    assert schemes == {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}
    (plan,) = api.of_type("AWS::ApiGateway::UsagePlan").values()
    assert plan["ApiStages"] == [{"ApiId": "<Api>", "Stage": "Prod"}]
    assert plan["Quota"] == {"Limit": "50", "Period": "DAY"}
    assert plan["Throttle"] == {"RateLimit": "1", "BurstLimit": "2"}
    (key,) = api.of_type("AWS::ApiGateway::ApiKey").values()
    assert key["Enabled"] is True and "Value" not in key  # generated, read with the CLI
    (link,) = api.of_type("AWS::ApiGateway::UsagePlanKey").values()
    assert (link["KeyId"], link["UsagePlanId"]) == ("<ApiKey>", "<UsagePlan>")


@pytest.mark.parametrize("mode", MODES)
def test_each_authentication_mode_deploys_only_what_it_needs(mode: str) -> None:
    api = deployed(Authentication=mode)
    keyed = {"UsagePlan", "ApiKey", "UsagePlanKey"}
    assert keyed <= api.resources.keys() if mode == "API_KEY" else not keyed & api.resources.keys()
    expected = {"API_KEY": [{"api_key": []}], "IAM": [{"sigv4": []}], "NONE": None}[mode]
    for path, method in ROUTES:
        assert api.operation("Api", path, method).get("security") == expected
    if mode == "IAM":
        sigv4 = api.properties("Api")["Body"]["components"]["securitySchemes"]["sigv4"]
        assert sigv4["x-amazon-apigateway-authtype"] == "awsSigv4"


def test_api_gateway_may_invoke_the_function_from_this_stage_only() -> None:
    permissions = deployed().of_type("AWS::Lambda::Permission")
    assert [(p["FunctionName"], p["Principal"], p["SourceArn"]) for p in permissions.values()] == [
        ("<AppFunction>", "apigateway.amazonaws.com", f"{ARN}:<Api>/Prod/*")
    ]


def test_the_function_url_streams_and_takes_signed_requests_only() -> None:
    (url,) = deployed().of_type("AWS::Lambda::Url").values()
    assert url == {
        "TargetFunctionArn": "<AppFunction.Arn>",
        "AuthType": "AWS_IAM",
        "InvokeMode": "RESPONSE_STREAM",
    }
    assert not deployed(FunctionUrlAuthType="OFF").of_type("AWS::Lambda::Url")
    allowed = deployed().output["Parameters"]["FunctionUrlAuthType"]["AllowedValues"]
    assert "NONE" not in allowed, "a function URL has no key, quota or throttle"


def test_outputs_name_the_app_root_and_the_key() -> None:
    api = deployed()
    outputs = api.intrinsics.evaluate(api.output["Outputs"])
    assert outputs["ApiUrl"]["Value"] == "https://<Api>.execute-api.us-west-2.amazonaws.com/Prod/"
    assert outputs["FunctionUrl"]["Value"] == "<AppFunctionUrl.FunctionUrl>"
    assert outputs["ApiKeyId"]["Value"] == "<ApiKey>"
