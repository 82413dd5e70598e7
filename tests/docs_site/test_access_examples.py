"""The reference app page's access-control example: it deploys (SAM's translator, cfn-lint),
and the local stack says what it cannot check instead of serving the API open."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.local.stack import LocalStack
from bedrock_stream.local.template import TemplateError

ROOT = Path(__file__).parents[2]
SAM_APP = ROOT / "examples" / "sam-app"
COGNITO = ROOT / "docs" / "examples" / "deploy" / "cognito-access.yaml"
PAGE = ROOT / "docs" / "reference-app.md"
POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_example"
APIS = ("StreamingApi", "NonStreamingApi")


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """The reference app with the page's Cognito change applied to both APIs."""
    from samtranslator.yaml_helper import yaml_parse

    shutil.copytree(SAM_APP, tmp_path / "app", ignore=shutil.ignore_patterns("web"))
    template: dict[str, Any] = yaml_parse((SAM_APP / "template.yaml").read_text())
    change = yaml_parse(COGNITO.read_text())
    template["Parameters"]["UserPoolArn"] = {"Type": "String"}
    for api in APIS:
        body = template["Resources"][api]["Properties"]["DefinitionBody"]
        body["paths"]["/ask"]["post"]["security"] = change["paths"]["/ask"]["post"]["security"]
        body["components"]["securitySchemes"] = change["components"]["securitySchemes"]
    path = tmp_path / "app" / "template.json"
    path.write_text(json.dumps(template))
    return path


def test_the_page_shows_the_cognito_example_verbatim() -> None:
    shown = f"<!-- snippet: {COGNITO.relative_to(ROOT)} -->\n```yaml\n{COGNITO.read_text()}```"
    assert shown in PAGE.read_text()


def test_the_cognito_example_deploys_the_pool_on_both_routes(changed: Path) -> None:
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(changed)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode & 2 == 0, lint.stdout + lint.stderr  # no errors (bit 2)
    template = json.loads(changed.read_text())
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/app.zip"
    template["Resources"]["KeyAuthorizerFunction"]["Properties"]["CodeUri"] = "s3://bucket/a.zip"
    session = boto3.session.Session(region_name="us-east-1")
    output = Translator(None, Parser(), boto_session=session).translate(template, {})
    for api in APIS:
        body = output["Resources"][api]["Properties"]["Body"]
        assert body["paths"]["/ask"]["post"]["security"] == [{"user_pool": []}]
        scheme = body["components"]["securitySchemes"]["user_pool"]
        assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [{"Ref": "UserPoolArn"}]


def test_the_cognito_example_is_refused_locally_never_served_open(changed: Path) -> None:
    parameters = {"UserPoolArn": POOL, "Authentication": "NONE"}
    with pytest.raises(TemplateError) as refused:
        LocalStack(changed, port=0, parameters=parameters)
    message = str(refused.value)
    assert "security scheme user_pool" in message
    assert "a Cognito user pool authorizer cannot be checked offline" in message
