"""The SAM templates the project ships, as SAM's translator and CloudFormation would deploy them.

:class:`Deployed` reads the CloudFormation that SAM's own translator produces, evaluated for
given parameter values the way CloudFormation would evaluate it (``Intrinsics``).
:data:`SHIPPED` names each template with what the checks every shipped template must pass
need to know about it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bedrock_stream.local.intrinsics import Intrinsics

ROOT = Path(__file__).parents[2]
PSEUDO = {
    "AWS::Region": "us-west-2",
    "AWS::AccountId": "111122223333",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
}
MODES = ("API_KEY", "IAM", "NONE")


@dataclass(frozen=True)
class Shipped:
    """A shipped template and the names its checks need."""

    template: Path
    apis: tuple[str, ...]
    """Every REST API, each with one stage: ``Prod``."""
    functions: tuple[str, ...]
    """Every function, each with its own role and log group."""
    bedrock: tuple[tuple[str, str], ...]
    """Each role that calls Bedrock, with the one action it may take."""
    opt_ins: tuple[tuple[str, str], ...] = ()
    """Parameters that turn on more resources (and roles), with a value that does."""

    @property
    def name(self) -> str:
        return self.template.parent.name


REFERENCE = Shipped(
    ROOT / "examples" / "sam-app" / "template.yaml",
    apis=("StreamingApi", "NonStreamingApi"),
    functions=("StreamingFunction", "BufferedFunction", "KeyAuthorizerFunction"),
    bedrock=(
        ("StreamingFunctionRole", "bedrock:InvokeModelWithResponseStream"),
        ("BufferedFunctionRole", "bedrock:InvokeModel"),
    ),
    opt_ins=(
        ("EnableAccessLogs", "true"),
        ("AlarmEmail", "a@b.example"),
        ("PerIpRequestsPer5Min", "100"),
        ("SnapStart", "true"),
    ),
)
FASTAPI = Shipped(
    ROOT / "examples" / "fastapi-app" / "template.yaml",
    apis=("Api",),
    functions=("AppFunction",),
    bedrock=(("AppFunctionRole", "bedrock:InvokeModelWithResponseStream"),),
)
SHIPPED = (REFERENCE, FASTAPI)


def _placeholder(name: str, argument: Any) -> str:
    """What only a deployment knows: ``<Name>`` for a Ref, ``<Name.Attr>`` for a GetAtt."""
    return f"<{argument if isinstance(argument, str) else '.'.join(argument)}>"


@functools.cache
def _translated(template: Path) -> str:
    """The template as SAM CLI hands it to CloudFormation, as JSON (each test gets a copy)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse

    source = yaml_parse(template.read_text())
    # What `sam deploy` uploads the code directories as:
    for properties in [
        source.get("Globals", {}).get("Function", {}),
        *(r.get("Properties", {}) for r in source["Resources"].values()),
    ]:
        if "CodeUri" in properties:
            properties["CodeUri"] = f"s3://bucket/{properties['CodeUri'].strip('/')}.zip"
    session = boto3.session.Session(region_name="us-west-2")
    return json.dumps(Translator(None, Parser(), boto_session=session).translate(source, {}))


class Deployed:
    """The translated template as these parameters deploy it."""

    def __init__(self, template: Path = REFERENCE.template, **parameters: str) -> None:
        self.output = json.loads(_translated(template))
        defaults = {n: str(s["Default"]) for n, s in self.output["Parameters"].items()}
        self.intrinsics = Intrinsics(
            {**PSEUDO, **defaults, **parameters},
            self.output.get("Conditions"),
            unresolved=_placeholder,
        )
        self.resources = {
            name: self.intrinsics.evaluate(resource)
            for name, resource in self.output["Resources"].items()
            if "Condition" not in resource or self.intrinsics.condition(resource["Condition"])
        }

    def parameter(self, name: str) -> str:
        return str(self.intrinsics.values[name])

    def properties(self, name: str) -> dict[str, Any]:
        return self.resources[name]["Properties"]  # type: ignore[no-any-return]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {n: r.get("Properties", {}) for n, r in self.resources.items() if r["Type"] == kind}

    def operation(self, api: str, path: str = "/ask", method: str = "post") -> dict[str, Any]:
        return self.properties(api)["Body"]["paths"][path][method]  # type: ignore[no-any-return]

    def integration(self, api: str, path: str = "/ask", method: str = "post") -> dict[str, Any]:
        operation = self.operation(api, path, method)
        return operation["x-amazon-apigateway-integration"]  # type: ignore[no-any-return]
