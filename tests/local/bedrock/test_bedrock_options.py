"""The service tier and latency mode, echoed by the emulator; unknown values refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
OPTIONS = {"serviceTier": {"type": "priority"}, "performanceConfig": {"latency": "optimized"}}


def test_converse_echoes(client: Any) -> None:
    response = client.converse(modelId=CLAUDE, messages=MESSAGES, **OPTIONS)
    assert response["serviceTier"] == {"type": "priority"}
    assert response["performanceConfig"] == {"latency": "optimized"}
    metadata = list(client.converse_stream(modelId=CLAUDE, messages=MESSAGES, **OPTIONS)["stream"])[
        -1
    ]
    assert metadata["metadata"]["serviceTier"] == {"type": "priority"}
    assert metadata["metadata"]["performanceConfig"] == {"latency": "optimized"}
    plain = client.converse(modelId=CLAUDE, messages=MESSAGES)
    assert "serviceTier" not in plain and "performanceConfig" not in plain


def test_invoke_echoes(client: Any) -> None:
    body = json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20, "messages": MESSAGES}
    )
    for call in (client.invoke_model, client.invoke_model_with_response_stream):
        response = call(
            modelId=CLAUDE, body=body, serviceTier="flex", performanceConfigLatency="standard"
        )
        response["body"].close()
        assert (response["serviceTier"], response["performanceConfigLatency"]) == (
            "flex",
            "standard",
        )


@pytest.mark.parametrize(
    ("options", "path", "values"),
    [
        (
            {"serviceTier": {"type": "fastest"}},
            "serviceTier.type",
            "priority, default, flex, reserved",
        ),
        (
            {"performanceConfig": {"latency": "fast"}},
            "performanceConfig.latency",
            "standard, optimized",
        ),
    ],
)
def test_unknown_values_refused(
    boto3_client: Any, options: dict[str, Any], path: str, values: str
) -> None:
    with pytest.raises(ClientError) as caught:
        boto3_client.converse(modelId=CLAUDE, messages=MESSAGES, **options)
    value = next(iter(next(iter(options.values())).values()))
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{values}]",
    }
