"""The reference template, verified without AWS: cfn-lint, SAM's translator, its IAM and its limits.

Every assertion reads the CloudFormation that SAM's own translator produces, evaluated for given
parameter values the way CloudFormation would evaluate it (:class:`shipped_templates.Deployed`).
The checks every shipped template must pass (cfn-lint, throttled stages, least-privilege
roles, expiring logs, Bedrock through the one profile) run on each of ``SHIPPED``.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from shipped_templates import MODES, ROOT, SHIPPED, Deployed, Shipped

ROUTES = (
    ("/ask", "post"),
    ("/chat", "post"),
    ("/v1/chat/completions", "post"),
    ("/v1/models", "get"),
)
"""Every route of both APIs: the app's handler serves the same routes (app.ROUTES)."""


def _each(test: Any) -> Any:
    """Run ``test`` on every shipped template: checks none of them may fail."""
    return pytest.mark.parametrize("shipped", SHIPPED, ids=lambda s: s.name)(test)


@_each
def test_cfn_lint_passes(shipped: Shipped) -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    done = subprocess.run([str(cfn_lint), str(shipped.template)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_streaming_route_streams_and_buffered_route_does_not() -> None:
    deployed = Deployed()
    streaming = deployed.integration("StreamingApi")
    assert streaming["responseTransferMode"] == "STREAM"
    assert streaming["uri"].endswith(
        "/2021-11-15/functions/<StreamingFunctionAliaslive>/response-streaming-invocations"
    )
    buffered = deployed.integration("NonStreamingApi")
    assert "responseTransferMode" not in buffered
    assert buffered["uri"].endswith("/2015-03-31/functions/<BufferedFunctionAliaslive>/invocations")
    assert buffered["timeoutInMillis"] == 29000


def test_every_route_is_on_both_apis_as_ask_is() -> None:
    deployed = Deployed()
    for api in ("StreamingApi", "NonStreamingApi"):
        paths = deployed.properties(api)["Body"]["paths"]
        assert {(p, m) for p, operations in paths.items() for m in operations} == set(ROUTES)
        for path, method in ROUTES:
            assert deployed.integration(api, path, method) == deployed.integration(api)
            assert deployed.operation(api, path, method)["security"] == [
                {"key_authorizer": []},
                {"api_key": []},
            ]


def test_the_handler_serves_exactly_the_templates_routes() -> None:
    source = (ROOT / "examples" / "sam-app" / "src" / "app.py").read_text()
    routes = {(m.lower(), p) for m, p in re.findall(r'\("(GET|POST)", "(/[^"]*)"\)', source)}
    assert routes == {(m, p) for p, m in ROUTES}


@pytest.mark.parametrize("snap_start", ["false", "true"])
def test_api_gateway_may_invoke_each_function_for_its_own_routes_only(snap_start: str) -> None:
    deployed = Deployed(SnapStart=snap_start)
    sources = {
        (p["FunctionName"], p["SourceArn"])
        for p in deployed.of_type("AWS::Lambda::Permission").values()
        if p["FunctionName"] != "<KeyAuthorizerFunction>"
    }
    arn = "arn:aws:execute-api:us-west-2:111122223333"
    assert sources == {
        (f"<{function}Aliaslive>", f"{arn}:<{api}>/Prod/{method.upper()}{path}")
        for function, api in (
            ("StreamingFunction", "StreamingApi"),
            ("BufferedFunction", "NonStreamingApi"),
        )
        for path, method in ROUTES
    }


@pytest.mark.parametrize("snap_start", ["false", "true"])
def test_snapstart_is_opt_in_and_api_gateway_calls_the_published_version(snap_start: str) -> None:
    deployed = Deployed(SnapStart=snap_start)
    for function, api in (
        ("StreamingFunction", "StreamingApi"),
        ("BufferedFunction", "NonStreamingApi"),
    ):
        properties = deployed.properties(function)
        runtime = properties["Runtime"]
        assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12  # SnapStart
        expected = {"ApplyOn": "PublishedVersions"} if snap_start == "true" else None
        assert properties.get("SnapStart") == expected
        (version,) = [
            name
            for name, p in deployed.of_type("AWS::Lambda::Version").items()
            if p["FunctionName"] == f"<{function}>"
        ]
        alias = deployed.properties(f"{function}Aliaslive")
        assert alias["FunctionName"] == f"<{function}>"
        assert alias["FunctionVersion"] == f"<{version}.Version>"
        for path, method in ROUTES:
            assert (
                f"/functions/<{function}Aliaslive>/"
                in deployed.integration(api, path, method)["uri"]
            )
    assert "SnapStart" not in deployed.properties("KeyAuthorizerFunction")


@pytest.mark.parametrize("snap_start", ["false", "true"])
def test_the_local_stack_runs_the_alias_routes_in_the_mode_the_parameter_asks(
    snap_start: str,
) -> None:
    from bedrock_stream.local.template import load

    template = load(SHIPPED[0].template, parameters={"SnapStart": snap_start})
    assert not template.warnings
    for function, api in (
        ("StreamingFunction", "StreamingApi"),
        ("BufferedFunction", "NonStreamingApi"),
    ):
        assert template.functions[function].snap_start is (snap_start == "true")
        assert {route.function for route in template.apis[api].routes} == {function}
    assert not template.functions["KeyAuthorizerFunction"].snap_start


@pytest.mark.parametrize("timeout", ["10", "120", "900"])
def test_a_runaway_stream_ends_at_the_deadline_guard_before_any_gateway_limit(timeout: str) -> None:
    deployed = Deployed(StreamingTimeout=timeout)
    streaming = deployed.properties("StreamingFunction")
    guard = float(streaming["Environment"]["Variables"]["BEDROCK_STREAM_DEADLINE_GUARD"])
    assert 0 < guard < int(streaming["Timeout"]) == int(timeout)
    assert (
        int(streaming["Timeout"]) * 1000 <= deployed.integration("StreamingApi")["timeoutInMillis"]
    )
    buffered = deployed.properties("BufferedFunction")
    assert (
        int(buffered["Timeout"]) * 1000 < deployed.integration("NonStreamingApi")["timeoutInMillis"]
    )


def test_the_default_caps_match_a_demo() -> None:
    deployed = Deployed()
    variables = {
        name: deployed.properties(name)["Environment"]["Variables"]
        for name in ("StreamingFunction", "BufferedFunction")
    }
    assert int(variables["StreamingFunction"]["MAX_TOKENS"]) == 1024
    assert int(variables["BufferedFunction"]["MAX_TOKENS"]) == 800
    assert all(int(v["MAX_MESSAGE_CHARS"]) == 2000 for v in variables.values())
    assert int(deployed.properties("StreamingFunction")["Timeout"]) == 120
    for name in ("StreamingFunction", "BufferedFunction"):
        properties = deployed.properties(name)
        assert properties["Runtime"] == "python3.13"
        assert properties["TracingConfig"] == {"Mode": "Active"}
    assert "AWS_LAMBDA_EXEC_WRAPPER" not in variables["BufferedFunction"]


# -- who can call ----------------------------------------------------------------------------


def test_by_default_every_call_needs_the_usage_plans_key_from_either_header() -> None:
    deployed = Deployed()
    for api in ("StreamingApi", "NonStreamingApi"):
        body = deployed.properties(api)["Body"]
        assert body["x-amazon-apigateway-api-key-source"] == "AUTHORIZER"
        assert deployed.operation(api)["security"] == [{"key_authorizer": []}, {"api_key": []}]
        schemes = body["components"]["securitySchemes"]
        assert schemes["api_key"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
        authorizer = schemes["key_authorizer"]["x-amazon-apigateway-authorizer"]
        assert authorizer["type"] == "request"
        assert authorizer["authorizerUri"].endswith("/<KeyAuthorizerFunction.Arn>/invocations")
        # Either header may hold the key, so no identity source can be required: no cache.
        assert authorizer["authorizerResultTtlInSeconds"] == 0
    (plan,) = deployed.of_type("AWS::ApiGateway::UsagePlan").values()
    assert {(s["ApiId"], s["Stage"]) for s in plan["ApiStages"]} == {
        ("<StreamingApi>", "Prod"),
        ("<NonStreamingApi>", "Prod"),
    }
    assert plan["Quota"] == {"Limit": "50", "Period": "DAY"}
    assert plan["Throttle"] == {"RateLimit": "1", "BurstLimit": "4"}
    (key,) = deployed.of_type("AWS::ApiGateway::ApiKey").values()
    assert key["Enabled"] is True and "Value" not in key  # generated, read with the CLI
    (link,) = deployed.of_type("AWS::ApiGateway::UsagePlanKey").values()
    assert (link["KeyId"], link["UsagePlanId"]) == ("<ApiKey>", "<UsagePlan>")
    permissions = deployed.of_type("AWS::Lambda::Permission")
    authorizer_sources = {
        p["SourceArn"]
        for p in permissions.values()
        if p["FunctionName"] == "<KeyAuthorizerFunction>"
    }
    assert authorizer_sources == {
        f"arn:aws:execute-api:us-west-2:111122223333:<{api}>/authorizers/*"
        for api in ("StreamingApi", "NonStreamingApi")
    }


@pytest.mark.parametrize("mode", MODES)
def test_each_authentication_mode_deploys_only_what_it_needs(mode: str) -> None:
    deployed = Deployed(Authentication=mode)
    keyed = {"UsagePlan", "ApiKey", "UsagePlanKey", "KeyAuthorizerFunction"}
    assert (
        keyed <= deployed.resources.keys()
        if mode == "API_KEY"
        else not keyed & deployed.resources.keys()
    )
    expected = {
        "API_KEY": [{"key_authorizer": []}, {"api_key": []}],
        "IAM": [{"sigv4": []}],
        "NONE": None,
    }[mode]
    for api in ("StreamingApi", "NonStreamingApi"):
        for path, method in ROUTES:
            assert deployed.operation(api, path, method).get("security") == expected
        if mode == "IAM":
            sigv4 = deployed.properties(api)["Body"]["components"]["securitySchemes"]["sigv4"]
            assert sigv4["x-amazon-apigateway-authtype"] == "awsSigv4"


def test_the_authorizer_is_small_and_imports_nothing_heavy() -> None:
    source = (ROOT / "examples" / "sam-app" / "authorizer" / "authorizer.py").read_text()
    imports = {
        line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))
    }
    assert imports <= {"__future__", "hashlib", "collections.abc", "typing"}
    deployed = Deployed()
    authorizer = deployed.properties("KeyAuthorizerFunction")
    assert (int(authorizer["MemorySize"]), int(authorizer["Timeout"])) == (128, 3)


@_each
def test_no_hidden_stage_escapes_the_throttles(shipped: Shipped) -> None:
    deployed = Deployed(shipped.template)
    for deployment in deployed.of_type("AWS::ApiGateway::Deployment").values():
        assert "StageName" not in deployment, "SAM's extra 'Stage' stage has no throttle or WAF"
    stages = sorted(
        (s["RestApiId"], s["StageName"])
        for s in deployed.of_type("AWS::ApiGateway::Stage").values()
    )
    assert stages == sorted((f"<{api}>", "Prod") for api in shipped.apis)


@_each
def test_every_stage_is_throttled_by_default(shipped: Shipped) -> None:
    deployed = Deployed(shipped.template)
    for stage in (f"{api}ProdStage" for api in shipped.apis):
        (setting,) = deployed.properties(stage)["MethodSettings"]
        assert (setting["ResourcePath"], setting["HttpMethod"]) == ("/*", "*")
        assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == ("5", "10")


# -- CORS -----------------------------------------------------------------------------------


def test_no_origin_is_allowed_by_default() -> None:
    deployed = Deployed()
    for api in ("StreamingApi", "NonStreamingApi"):
        body = deployed.properties(api)["Body"]
        assert all("options" not in body["paths"][path] for path, _ in ROUTES)
        assert "x-amazon-apigateway-gateway-responses" not in body
    for name in ("StreamingFunction", "BufferedFunction"):
        assert deployed.properties(name)["Environment"]["Variables"]["ALLOWED_ORIGIN"] == ""


def test_an_allowed_origin_reaches_the_preflight_the_gateways_errors_and_the_functions() -> None:
    origin = "https://app.example"
    deployed = Deployed(AllowedOrigin=origin)
    for api in ("StreamingApi", "NonStreamingApi"):
        body = deployed.properties(api)["Body"]
        for path, method in ROUTES:
            preflight = body["paths"][path]["options"]
            assert "security" not in preflight, "browsers send no credentials on a preflight"
            integration = preflight["x-amazon-apigateway-integration"]
            assert integration["type"] == "mock"
            headers = integration["responses"]["default"]["responseParameters"]
            assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{origin}'"
            allowed = headers["method.response.header.Access-Control-Allow-Headers"]
            assert {"Authorization", "X-Api-Key"} <= set(allowed.strip("'").split(","))
            methods = headers["method.response.header.Access-Control-Allow-Methods"]
            assert methods == f"'{method.upper()},OPTIONS'"
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
            gateway = body["x-amazon-apigateway-gateway-responses"][kind]["responseParameters"]
            assert gateway["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{origin}'"
    for name in ("StreamingFunction", "BufferedFunction"):
        assert deployed.properties(name)["Environment"]["Variables"]["ALLOWED_ORIGIN"] == origin


@pytest.mark.parametrize("origin", ["*", "https://a.example,https://b.example", "app.example"])
def test_a_wildcard_or_a_list_of_origins_is_refused(origin: str) -> None:
    pattern = Deployed().output["Parameters"]["AllowedOrigin"]["AllowedPattern"]
    assert re.fullmatch(pattern, origin) is None
    assert re.fullmatch(pattern, "https://app.example:8443")


# -- IAM: least privilege, on every policy of every role ------------------------------------

# Each "*" a policy may hold, and why it cannot be narrower.
UNAVOIDABLE_WILDCARDS = {
    frozenset({"xray:PutTraceSegments", "xray:PutTelemetryRecords"}): (
        "X-Ray's actions support no resource-level permissions"
    ),
}
# Resources a role may name by wildcard beyond those, and why.
ACCOUNT_WIDE = {
    # The region's API Gateway logging role (EnableAccessLogs) writes every API's logs.
    "ApiGatewayCloudWatchRole": "arn:aws:logs:us-west-2:111122223333:log-group:*",
}


def _deployments(shipped: Shipped) -> Iterator[Deployed]:
    """Each authentication mode with every opt-in on, and with all but the first on."""
    variants = [dict(shipped.opt_ins), dict(shipped.opt_ins[1:])] if shipped.opt_ins else [{}]
    for mode, opt_ins in itertools.product(MODES, variants):
        yield Deployed(shipped.template, Authentication=mode, **opt_ins)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@_each
def test_every_role_is_least_privilege_managed_policies_included(shipped: Shipped) -> None:
    for deployed in _deployments(shipped):
        for role, properties in deployed.of_type("AWS::IAM::Role").items():
            assert "ManagedPolicyArns" not in properties, role  # each could hide a "*"
            for policy in properties.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    actions = _as_list(statement["Action"])
                    assert statement["Effect"] == "Allow"
                    assert all("*" not in action for action in actions), (role, actions)
                    if "*" in _as_list(statement["Resource"]):
                        assert frozenset(actions) in UNAVOIDABLE_WILDCARDS, (role, actions)
                    for resource in _as_list(statement["Resource"]):
                        if resource == ACCOUNT_WIDE.get(role):
                            continue
                        assert resource == "*" or not resource.endswith("*"), (role, resource)


@_each
def test_each_function_writes_only_its_own_log_group_which_expires(shipped: Shipped) -> None:
    for deployed in _deployments(shipped):
        for function in shipped.functions:
            if function not in deployed.resources:
                continue
            properties = deployed.properties(function)
            group = properties["LoggingConfig"]["LogGroup"]
            assert group.startswith("<") and group.endswith("LogGroup>")
            log_group = deployed.properties(group.strip("<>"))
            assert int(log_group["RetentionInDays"]) == 30
            role = properties["Role"].strip("<>").removesuffix(".Arn")
            writes = [
                statement
                for policy in deployed.properties(role)["Policies"]
                for statement in policy["PolicyDocument"]["Statement"]
                if any(a.startswith("logs:") for a in _as_list(statement["Action"]))
            ]
            assert writes == [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"<{group.strip('<>')}.Arn>",
                }
            ]


def _bedrock_statements(deployed: Deployed, role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in deployed.properties(role)["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if any(a.startswith("bedrock:") for a in _as_list(statement["Action"]))
    ]


PROFILE = "arn:aws:bedrock:us-west-2:111122223333:inference-profile/{}"


@pytest.mark.parametrize(
    ("model_id", "models"),
    [
        (
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            [
                "arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
                "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
            ],
        ),
        ("us.amazon.nova-pro-v1:0", ["arn:aws:bedrock:*::foundation-model/amazon.nova-pro-v1:0"]),
        (
            "eu.meta.llama3-2-3b-instruct-v1:0",
            ["arn:aws:bedrock:*::foundation-model/meta.llama3-2-3b-instruct-v1:0"],
        ),
    ],
)
@_each
def test_a_profiles_model_is_reachable_only_through_that_profile(
    shipped: Shipped, model_id: str, models: list[str]
) -> None:
    deployed = Deployed(shipped.template, ModelId=model_id)
    for role, action in shipped.bedrock:
        profile, model = _bedrock_statements(deployed, role)
        assert profile == {
            "Effect": "Allow",
            "Action": action,
            "Resource": PROFILE.format(model_id),
        }
        assert model["Action"] == action and model["Resource"] == models
        # Without this condition the role could call the model directly, in any region,
        # around the profile's geography.
        assert model["Condition"] == {
            "StringEquals": {"bedrock:InferenceProfileArn": PROFILE.format(model_id)}
        }


@_each
def test_a_plain_model_id_is_reachable_in_its_region_only(shipped: Shipped) -> None:
    deployed = Deployed(shipped.template, ModelId="anthropic.claude-3-haiku-20240307-v1:0")
    for role, action in shipped.bedrock:
        assert _bedrock_statements(deployed, role) == [
            {
                "Effect": "Allow",
                "Action": action,
                "Resource": (
                    "arn:aws:bedrock:us-west-2::foundation-model/"
                    "anthropic.claude-3-haiku-20240307-v1:0"
                ),
            }
        ]


# -- opt-in bounds ---------------------------------------------------------------------------


@_each
def test_reserved_concurrency_is_none_by_default_and_a_parameter(shipped: Shipped) -> None:
    reserved = Deployed(shipped.template, ReservedConcurrency="5")
    for name, _ in shipped.bedrock:  # the functions that call the model
        function = name.removesuffix("Role")
        assert "ReservedConcurrentExecutions" not in Deployed(shipped.template).properties(function)
        assert reserved.properties(function)["ReservedConcurrentExecutions"] == "5"


def test_the_per_ip_rule_is_opt_in_and_covers_both_stages() -> None:
    assert not Deployed().of_type("AWS::WAFv2::WebACL")
    deployed = Deployed(PerIpRequestsPer5Min="100")
    (acl,) = deployed.of_type("AWS::WAFv2::WebACL").values()
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    (rule,) = acl["Rules"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"]["RateBasedStatement"] == {
        "Limit": "100",
        "EvaluationWindowSec": 300,
        "AggregateKeyType": "IP",
    }
    associations = deployed.of_type("AWS::WAFv2::WebACLAssociation").values()
    assert {a["ResourceArn"] for a in associations} == {
        f"arn:aws:apigateway:us-west-2::/restapis/<{api}>/stages/Prod"
        for api in ("StreamingApi", "NonStreamingApi")
    }


def test_the_output_token_alarm_is_opt_in_and_watches_the_configured_model() -> None:
    assert not Deployed().of_type("AWS::CloudWatch::Alarm")
    deployed = Deployed(AlarmEmail="ops@example.com", OutputTokensPerHourAlarm="50000")
    (alarm,) = deployed.of_type("AWS::CloudWatch::Alarm").values()
    assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
        "AWS/Bedrock",
        "OutputTokenCount",
        "Sum",
    )
    assert alarm["Dimensions"] == [{"Name": "ModelId", "Value": deployed.parameter("ModelId")}]
    assert (alarm["Period"], alarm["Threshold"]) == (3600, "50000")
    assert alarm["AlarmActions"] == ["<AlarmTopic>"]
    (topic,) = deployed.of_type("AWS::SNS::Topic").values()
    assert topic["Subscription"] == [{"Protocol": "email", "Endpoint": "ops@example.com"}]


@pytest.mark.parametrize("enabled", ["true", "false"])
def test_access_logs_and_the_account_singleton_only_when_opted_in(enabled: str) -> None:
    deployed = Deployed(EnableAccessLogs=enabled)
    present = {
        "AccessLogGroup",
        "ApiGatewayCloudWatchRole",
        "ApiGatewayAccount",
    } & deployed.resources.keys()
    assert bool(present) is (enabled == "true")
    stage = deployed.properties("StreamingApiProdStage")
    assert ("AccessLogSetting" in stage) is (enabled == "true")
    if enabled == "true":
        log_format = stage["AccessLogSetting"]["Format"]
        assert "$context.requestId" in log_format
        assert "body" not in log_format.lower(), "prompts are user data"


def test_outputs_are_the_full_ask_urls() -> None:
    outputs = Deployed().intrinsics.evaluate(Deployed().output["Outputs"])
    assert outputs["StreamingApiUrl"]["Value"] == (
        "https://<StreamingApi>.execute-api.us-west-2.amazonaws.com/Prod/ask"
    )
    assert outputs["NonStreamingApiUrl"]["Value"].endswith("/Prod/ask")
    assert outputs["StreamingOpenAIBaseUrl"]["Value"].endswith(".amazonaws.com/Prod/v1")
    assert outputs["StreamingChatUrl"]["Value"].endswith(".amazonaws.com/Prod/chat")
    assert outputs["NonStreamingOpenAIBaseUrl"]["Value"].endswith("/Prod/v1")
    assert outputs["NonStreamingChatUrl"]["Value"].endswith("/Prod/chat")


def test_every_example_template_gets_every_check() -> None:
    examples = set((ROOT / "examples").glob("*/template.yaml"))
    assert examples == {shipped.template for shipped in SHIPPED}
    ci = (ROOT / ".ci" / "run").read_text()
    for template in examples:
        assert template.relative_to(ROOT).as_posix() in ci, f"checkov does not see {template}"
