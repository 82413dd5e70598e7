"""The boto3 floor: a field an old botocore's model lacks is refused, naming the release with it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from botocore.model import ServiceModel
from request_strategies import OLD_JSON, OLD_SERVICE_MODEL, SERVICE_MODEL

from bedrock_stream.bedrock.errors import UnsupportedOptionError
from bedrock_stream.bedrock.request_blocks import cache_point, reasoning_block
from bedrock_stream.bedrock.request_floor import (
    CONVERSE_FIELDS,
    INVOKE_FIELDS,
    OPERATIONS,
    check_installed,
    check_request_fields,
)
from bedrock_stream.bedrock.requests import build_converse_request, build_invoke_request

OLD = OLD_SERVICE_MODEL


def converse(**options: Any) -> dict[str, Any]:
    return build_converse_request(
        "anthropic.claude-3-haiku-20240307-v1:0", "hi", max_tokens=9, **options
    )


def test_a_plain_request_passes_on_the_oldest_converse() -> None:
    check_request_fields(OLD, "ConverseStream", converse(system="s", temperature=0.2))


@pytest.mark.parametrize(
    ("options", "field", "release"),
    [
        (
            {"guardrail_config": {"guardrailIdentifier": "g", "guardrailVersion": "1"}},
            "guardrailConfig",
            "1.34.129",
        ),
        ({"latency": "optimized"}, "performanceConfig", "1.35.73"),
        ({"service_tier": "flex"}, "serviceTier", "1.40.76"),
        ({"request_metadata": {"a": "b"}}, "requestMetadata", "1.35.74"),
        ({"system": [{"text": "s"}, cache_point()]}, "system.cachePoint", "1.37.24"),
        ({"extra": {"outputConfig": {"effort": "high"}}}, "outputConfig", "1.42.42"),
    ],
)
def test_a_newer_field_is_refused_with_its_first_release(
    options: dict[str, Any], field: str, release: str
) -> None:
    with pytest.raises(
        UnsupportedOptionError, match=rf"field '{field}'; boto3 {release} is the first"
    ):
        check_request_fields(OLD, "ConverseStream", converse(**options))
    check_request_fields(SERVICE_MODEL, "ConverseStream", converse(**options))


def test_nested_blocks_are_checked_too() -> None:
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [reasoning_block("r", "sig")]},
    ]
    request = build_converse_request("m", messages, max_tokens=9)
    with pytest.raises(
        UnsupportedOptionError, match=r"'messages.content.reasoningContent'; boto3 1.37.0"
    ):
        check_request_fields(OLD, "Converse", request)


def test_a_field_no_release_has_and_one_of_unknown_release() -> None:
    with pytest.raises(UnsupportedOptionError, match=r"'modelld'.*is the name right"):
        check_request_fields(SERVICE_MODEL, "ConverseStream", converse(extra={"modelld": "x"}))
    with pytest.raises(
        UnsupportedOptionError, match=r"'projectIdentifier'; its first boto3 release is unknown"
    ):
        check_request_fields(
            OLD, "ConverseStream", converse(extra={"projectIdentifier": "default"})
        )


def test_invoke_parameters_have_their_own_releases() -> None:
    call = build_invoke_request("m", "anthropic", "hi", max_tokens=9, service_tier="flex")
    check_request_fields(SERVICE_MODEL, "InvokeModelWithResponseStream", call)
    with pytest.raises(UnsupportedOptionError, match=r"'serviceTier'; boto3 1.40.76"):
        check_request_fields(OLD, "InvokeModelWithResponseStream", call)


def test_an_operation_the_model_lacks() -> None:
    invoke_only = dict(OLD_JSON, operations={"InvokeModel": OLD_JSON["operations"]["InvokeModel"]})
    model = ServiceModel(invoke_only, "bedrock-runtime")  # as botocore before Converse had it
    with pytest.raises(
        UnsupportedOptionError, match=r"no ConverseStream operation; boto3 1.34.116"
    ):
        check_request_fields(model, "ConverseStream", {})


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _resolves(shape: Any, path: str) -> bool:
    for name in path.split("."):
        while shape.type_name in ("list", "map"):
            shape = shape.member if shape.type_name == "list" else shape.value
        if name not in shape.members:
            return False
        shape = shape.members[name]
    return True


@pytest.mark.parametrize(
    "operation", ["Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"]
)
def test_every_field_of_the_table_is_in_the_installed_model_and_not_in_the_oldest(
    operation: str,
) -> None:
    table = INVOKE_FIELDS if operation.startswith("Invoke") else CONVERSE_FIELDS
    installed = SERVICE_MODEL.operation_model(operation).input_shape
    oldest = OLD.operation_model(operation).input_shape
    for path, release in table.items():
        assert _resolves(installed, path), path
        newer = release is None or _version(release) > _version("1.34.116")
        assert _resolves(oldest, path) is not newer, path
    assert operation in OPERATIONS


def test_check_installed_uses_the_installed_botocore() -> None:
    check_installed(converse(service_tier="flex"))
    with pytest.raises(UnsupportedOptionError, match=r"'nope'"):
        check_installed(converse(extra={"nope": 1}), "Converse")


def test_importing_the_request_modules_loads_no_botocore() -> None:
    code = (
        "import sys, bedrock_stream.bedrock.request_floor, bedrock_stream.bedrock.requests;"
        "assert 'botocore' not in sys.modules and 'boto3' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
