"""The deployment examples of docs/runtime.md are real: the SAM and CloudFormation templates
lint clean and wire a STREAM integration (SAM's through its own translator, with the
`STREAM` trap reproduced), the CDK app synthesizes the same wiring, and the page shows each
file byte for byte. The CloudFormation template (with its code as a local directory) and
the CDK output also run on `bedrock-stream local`, streaming through both doors.

The CDK app needs aws-cdk-lib, which pins heavy dependencies and runs on Node.js, so it lives
in its own virtualenv (CI creates it):

    python3 -m venv .venv-cdk && .venv-cdk/bin/pip install -q "aws-cdk-lib>=2.230.0" constructs

Without it (or without `node`) the CDK test skips. Synthesis needs no AWS account, no network
and no Docker: bundling is skipped through the `aws:cdk:bundling-stacks` context.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bedrock_stream.cli import WRAPPER_NAME, write_wrapper
from bedrock_stream.local.stack import IAM_CREDENTIALS, LocalStack

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "docs" / "examples" / "deploy"
TEMPLATE = DEPLOY / "cloudformation.yaml"
CDK_APP = DEPLOY / "cdk_app.py"
SAM_TEMPLATE = ROOT / "docs" / "examples" / "runtime" / "template.yaml"
CDK_PYTHON = ROOT / ".venv-cdk" / "bin" / "python"
PAGE = ROOT / "docs" / "runtime.md"
WRAPPER_PATH = f"/var/task/{WRAPPER_NAME}"  # where the managed runtime finds the packaged wrapper
STREAM_URI = re.compile(
    r"^arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}:lambda:path/2021-11-15/functions/"
    r"\$\{(?P<function>[A-Za-z0-9]+)\.Arn\}/response-streaming-invocations$"
)
# A fenced block that is not Python, marked as a copy of a file (test_docs.py covers Python).
SNIPPET = re.compile(
    r"<!-- snippet: (?P<path>[^ ]+) -->\n```(?P<lang>(?!python\n)[a-z]+)\n(?P<code>.*?)```", re.S
)


def text(node: Any) -> str:
    """Render Ref, Fn::GetAtt, Fn::Sub and Fn::Join as Fn::Sub text: ``${Name}``, ``${Name.Attr}``.

    CloudFormation YAML written by hand uses Fn::Sub, CDK output uses Fn::Join; both come out
    the same, so one assertion covers both.
    """
    if isinstance(node, str):
        return node
    assert isinstance(node, dict) and len(node) == 1, node
    ((key, arg),) = node.items()
    if key == "Ref":
        return "${" + arg + "}"
    if key == "Fn::GetAtt":
        name, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
        return "${" + f"{name}.{attribute}" + "}"
    if key == "Fn::Sub":
        assert isinstance(arg, str), "Fn::Sub with a variable map"
        return arg
    if key == "Fn::Join":
        separator, parts = arg
        return str(separator).join(text(part) for part in parts)
    raise AssertionError(f"unexpected intrinsic {key}")


def ref(node: Any) -> str:
    """The logical id a ``Ref`` or ``Fn::GetAtt [X, Arn]`` names."""
    rendered = text(node)
    match = re.fullmatch(r"\$\{([A-Za-z0-9]+)(?:\.Arn)?\}", rendered)
    assert match, rendered
    return match[1]


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def only(template: dict[str, Any], kind: str) -> tuple[str, dict[str, Any]]:
    found = of_type(template, kind)
    assert len(found) == 1, f"{kind}: {sorted(found)}"
    return next(iter(found.items()))


def resource_path(template: dict[str, Any], resource_id: Any) -> str:
    """The REST API path of an ``AWS::ApiGateway::Resource`` (``/ask``), through its parents."""
    rendered = text(resource_id)
    if rendered.endswith(".RootResourceId}"):
        return ""
    properties = template["Resources"][ref(resource_id)]["Properties"]
    return resource_path(template, properties["ParentId"]) + "/" + properties["PathPart"]


def assert_streams_through_wrapper(template: dict[str, Any]) -> dict[str, Any]:
    """The wiring both deployment examples must have; returns the facts for further checks."""
    function_name, function = only(template, "AWS::Lambda::Function")
    assert function["Runtime"].startswith("python3.")
    assert function["Handler"] == "app.handler"
    variables = function["Environment"]["Variables"]
    assert variables.get("AWS_LAMBDA_EXEC_WRAPPER") == WRAPPER_PATH
    assert float(variables["BEDROCK_STREAM_DEADLINE_GUARD"]) < function["Timeout"]

    _, api = only(template, "AWS::ApiGateway::RestApi")
    assert api["EndpointConfiguration"]["Types"] == ["REGIONAL"]  # edge: 30 s idle limit

    method_name, method = only(template, "AWS::ApiGateway::Method")
    integration = method["Integration"]
    assert integration["Type"] == "AWS_PROXY"
    assert integration["IntegrationHttpMethod"] == "POST"
    assert integration["ResponseTransferMode"] == "STREAM"
    uri = STREAM_URI.match(text(integration["Uri"]))
    assert uri, text(integration["Uri"])
    assert uri["function"] == function_name
    # The integration may run as long as the function, within API Gateway's 15 minutes.
    assert integration["TimeoutInMillis"] == function["Timeout"] * 1000 <= 900_000
    path = resource_path(template, method["ResourceId"])
    assert (method["HttpMethod"], path) == ("POST", "/ask")

    stage_name, stage = only(template, "AWS::ApiGateway::Stage")
    assert stage["StageName"] == "Prod"
    assert ref(stage["RestApiId"]) == ref(method["RestApiId"])
    deployment_name = ref(stage["DeploymentId"])
    depends_on = template["Resources"][deployment_name].get("DependsOn", [])
    assert method_name in ([depends_on] if isinstance(depends_on, str) else depends_on)

    # API Gateway may invoke the function, from this API's stage, method and path only.
    source_arns = []
    for permission in of_type(template, "AWS::Lambda::Permission").values():
        assert permission["Action"] == "lambda:InvokeFunction"  # covers InvokeWithResponseStream
        assert permission["Principal"] == "apigateway.amazonaws.com"
        assert ref(permission["FunctionName"]) == function_name
        source_arns.append(text(permission["SourceArn"]))
    api_ref = "${" + ref(method["RestApiId"]) + "}"
    expected = (
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
        f"{api_ref}/${{{stage_name}}}/POST/ask"
    )
    assert expected in source_arns, source_arns

    _, url = only(template, "AWS::Lambda::Url")
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    assert url["AuthType"] == "AWS_IAM"
    assert ref(url["TargetFunctionArn"]) == function_name
    return {"function": function, "source_arns": source_arns}


# ---- SAM --------------------------------------------------------------------------------


def sam_translated(source_text: str) -> dict[str, Any]:
    """The SAM template as CloudFormation receives it (SAM's own translator, no AWS calls)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    source = yaml_parse(source_text)
    source["Resources"]["StreamFunction"]["Properties"]["CodeUri"] = "s3://bucket/app.zip"
    session = boto3.session.Session(region_name="us-east-1")
    output: dict[str, Any] = Translator(None, Parser(), boto_session=session).translate(source, {})
    return output


def sam_integration(output: dict[str, Any]) -> dict[str, Any]:
    body = output["Resources"]["ServerlessRestApi"]["Properties"]["Body"]
    return body["paths"]["/ask"]["post"]["x-amazon-apigateway-integration"]  # type: ignore[no-any-return]


def test_sam_template_passes_cfn_lint() -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(SAM_TEMPLATE.read_text(), config=ManualArgs(regions=["us-east-1"]))
    assert not matches, "\n".join(str(match) for match in matches)


def test_sam_event_with_response_stream_deploys_a_stream_integration() -> None:
    output = sam_translated(SAM_TEMPLATE.read_text())
    function = output["Resources"]["StreamFunction"]["Properties"]
    assert function["Environment"]["Variables"]["AWS_LAMBDA_EXEC_WRAPPER"] == WRAPPER_PATH
    integration = sam_integration(output)
    assert integration["type"] == "aws_proxy"
    assert integration["responseTransferMode"] == "STREAM"
    assert text(integration["uri"]).endswith(
        "/2021-11-15/functions/${StreamFunction.Arn}/response-streaming-invocations"
    )
    assert integration["timeoutInMillis"] == function["Timeout"] * 1000
    api = output["Resources"]["ServerlessRestApi"]["Properties"]
    assert api["EndpointConfiguration"]["Types"] == ["REGIONAL"]
    _, url = only(output, "AWS::Lambda::Url")
    assert url["InvokeMode"] == "RESPONSE_STREAM"
    kinds = [resource["Type"] for resource in output["Resources"].values()]
    assert kinds.count("AWS::Lambda::Permission") == 1  # SAM adds the API's permission


def test_sam_stream_value_silently_deploys_buffered() -> None:
    """The trap the page warns about: CloudFormation's value on a SAM event."""
    source = SAM_TEMPLATE.read_text()
    assert source.count("ResponseTransferMode: RESPONSE_STREAM") == 1
    trapped = source.replace(
        "ResponseTransferMode: RESPONSE_STREAM", "ResponseTransferMode: STREAM"
    )
    integration = sam_integration(sam_translated(trapped))
    assert "responseTransferMode" not in integration
    assert text(integration["uri"]).endswith(
        "/2015-03-31/functions/${StreamFunction.Arn}/invocations"
    )


def test_bedrock_stream_local_reads_the_sam_template(tmp_path: Path) -> None:
    from bedrock_stream.local.template import load

    template = load(SAM_TEMPLATE)
    (route,) = template.apis["ServerlessRestApi"].routes
    assert (route.method, route.path, route.function) == ("POST", "/ask", "StreamFunction")
    assert route.streaming and route.timeout_ms == 120_000
    function = template.functions["StreamFunction"]
    assert function.url is not None and function.url.invoke_mode == "RESPONSE_STREAM"
    assert not template.warnings
    trapped = tmp_path / "template.yaml"
    trapped.write_text(SAM_TEMPLATE.read_text().replace("RESPONSE_STREAM   #", "STREAM   #"))
    warned = load(trapped)
    assert not warned.apis["ServerlessRestApi"].routes[0].streaming
    assert any("silently deploys a BUFFERED integration" in w for w in warned.warnings)


# ---- CloudFormation ---------------------------------------------------------------------


def test_cloudformation_template_passes_cfn_lint() -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(TEMPLATE.read_text(), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert not matches, "\n".join(str(match) for match in matches)


def test_cloudformation_template_streams_through_the_wrapper() -> None:
    from cfnlint.decode.cfn_yaml import loads

    template = loads(TEMPLATE.read_text())
    assert "Transform" not in template  # plain CloudFormation, no SAM
    facts = assert_streams_through_wrapper(template)
    assert len(facts["source_arns"]) == 1  # one permission, for the stage's POST /ask


# ---- CDK ----------------------------------------------------------------------------------


def post_and_read(url: str, *, sign_for: str | None = None) -> tuple[int, bytes]:
    """POST a prompt to ``url`` on the local stack; the status and the whole body.

    ``sign_for`` names the service to SigV4-sign the request for, with botocore and the
    local stack's IAM credentials, as an AWS SDK would sign it.
    """
    body = json.dumps({"message": "hi"}).encode()
    headers: dict[str, str] = {}
    if sign_for is not None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        request = AWSRequest("POST", url, data=body)
        SigV4Auth(Credentials(*IAM_CREDENTIALS), sign_for, "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        connection.request("POST", parts.path or "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def assert_streams_on_the_local_stack(template: Path, **parameters: str) -> None:
    """``bedrock-stream local`` serves the template's API and function URL, both streaming.

    The function URL is ``AWS_IAM``: unsigned requests are refused, signed ones stream.
    """
    with LocalStack(template, port=0, speed=0, parameters=parameters) as stack:
        doors = {e.kind: e for e in stack.endpoints if e.kind in ("rest-api", "function-url")}
        assert doors["rest-api"].url.endswith("/Prod/ask") and doors["rest-api"].streaming
        assert doors["function-url"].streaming
        assert post_and_read(doors["rest-api"].url) == (200, b"Hello, world")
        url = doors["function-url"].url
        assert post_and_read(url) == (403, b'{"Message":"Forbidden"}')
        assert post_and_read(url, sign_for="lambda") == (200, b"Hello, world")


def test_cloudformation_template_runs_on_the_local_stack(tmp_path: Path) -> None:
    # Locally the code is a directory: `Code: src/`, the form `aws cloudformation package` takes.
    source = TEMPLATE.read_text()
    s3_code = "      Code:\n        S3Bucket: !Ref CodeBucket\n        S3Key: !Ref CodeKey\n"
    assert s3_code in source
    (tmp_path / "template.yaml").write_text(source.replace(s3_code, "      Code: src/\n"))
    (tmp_path / "src").mkdir()
    shutil.copy(ROOT / "docs" / "examples" / "runtime" / "app.py", tmp_path / "src" / "app.py")
    write_wrapper(tmp_path / "src")
    assert_streams_on_the_local_stack(tmp_path / "template.yaml", CodeBucket="-", CodeKey="-")


@pytest.fixture(scope="module")
def cdk_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDK app's synthesized template, from a project laid out as its docstring says."""
    if not CDK_PYTHON.exists():
        reason = (
            f"{CDK_PYTHON.relative_to(ROOT)} not found; create it with: python3 -m venv "
            ".venv-cdk && .venv-cdk/bin/pip install -q 'aws-cdk-lib>=2.230.0' constructs"
        )
        print(reason)
        pytest.skip(reason)
    if shutil.which("node") is None:
        reason = "aws-cdk-lib runs on Node.js, and `node` is not on PATH"
        print(reason)
        pytest.skip(reason)
    project = tmp_path_factory.mktemp("cdk-project")
    source = project / "src"
    source.mkdir()
    shutil.copy(ROOT / "docs" / "examples" / "runtime" / "app.py", source / "app.py")
    (source / "requirements.txt").write_text("bedrock-stream\n")
    write_wrapper(source)
    out = project / "cdk.out"
    env = {
        **os.environ,
        "CDK_OUTDIR": str(out),
        # What `cdk synth --exclusively` does: no bundling, so no Docker.
        "CDK_CONTEXT_JSON": json.dumps({"aws:cdk:bundling-stacks": []}),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
    }
    done = subprocess.run(
        [str(CDK_PYTHON), str(CDK_APP)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out / "BedrockStreamExample.template.json"


@pytest.fixture(scope="module")
def cdk_template(cdk_out: Path) -> dict[str, Any]:
    synthesized: dict[str, Any] = json.loads(cdk_out.read_text())
    return synthesized


def test_cdk_output_runs_on_the_local_stack(cdk_out: Path) -> None:
    # The function's code is found through the cloud assembly's asset manifest.
    assert_streams_on_the_local_stack(cdk_out)


def test_cdk_app_synthesizes_the_streaming_integration(cdk_template: dict[str, Any]) -> None:
    facts = assert_streams_through_wrapper(cdk_template)
    # CDK adds a second permission for the console's test invocations.
    assert len(facts["source_arns"]) == 2
    assert any(arn.endswith("/test-invoke-stage/POST/ask") for arn in facts["source_arns"])


def test_cdk_app_creates_no_account_wide_resources(cdk_template: dict[str, Any]) -> None:
    kinds = {resource["Type"] for resource in cdk_template["Resources"].values()}
    assert "AWS::ApiGateway::Account" not in kinds  # cloud_watch_role=False


def test_cdk_template_has_no_cfn_lint_errors(cdk_template: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(cdk_template), config=ManualArgs(regions=["us-east-1"]))
    errors = [match for match in matches if match.rule.id.startswith("E")]
    assert not errors, "\n".join(str(match) for match in errors)


# ---- the page -------------------------------------------------------------------------------


def test_runtime_page_shows_the_deployment_files_verbatim() -> None:
    page = PAGE.read_text()
    shown = {match["path"]: match for match in SNIPPET.finditer(page)}
    for path in (
        "docs/examples/runtime/template.yaml",
        "docs/examples/runtime/Dockerfile",
        "docs/examples/deploy/cloudformation.yaml",
        "docs/examples/deploy/cdk_app.py",
    ):
        assert f"<!-- snippet: {path} -->" in page, path
    assert shown["docs/examples/deploy/cloudformation.yaml"]["lang"] == "yaml"


@pytest.mark.parametrize("page", sorted((ROOT / "docs").glob("*.md")), ids=lambda p: p.name)
def test_marked_non_python_blocks_are_copies_of_files(page: Path) -> None:
    for match in SNIPPET.finditer(page.read_text()):
        assert (ROOT / match["path"]).read_text() == match["code"], match["path"]
