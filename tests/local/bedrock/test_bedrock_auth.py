"""The Bedrock emulator asks for credentials as Bedrock does: an API key or a SigV4 signature.

A request without ``Authorization`` gets Bedrock's 403 and boto3 raises the operation's
``AccessDeniedException``; SigV4 clients work as before. Over plain HTTP botocore sends no
bearer token, so the keys are sent by hand here (test_bedrock_https.py sends them with boto3).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.local.bedrock import BedrockEmulator
from bedrock_stream.local.bedrock.auth import (
    BAD_FORMAT,
    MISSING,
    UNKNOWN_KEY,
    Access,
    AuthError,
)

NOVA = "us.amazon.nova-pro-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": "Hello"}]}]
CONVERSE = f"/model/{NOVA}/converse"
BODY = json.dumps({"messages": [{"role": "user", "content": [{"text": "Hello"}]}]})
KEY = "ABSK" + "a" * 40


def post(emulator: BedrockEmulator, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        connection.request("POST", CONVERSE, BODY, {"Content-Type": "application/json", **headers})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def headers_of(emulator: BedrockEmulator) -> dict[str, str]:
    return {name.lower(): value for name, value in emulator.requests[-1].headers}


@pytest.fixture
def keyed() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(speed=0, api_keys=[KEY, "my-local-key"]) as emulator:
        yield emulator


def test_a_request_without_authorization_gets_bedrocks_403(emulator: BedrockEmulator) -> None:
    status, headers, body = post(emulator, {})
    assert status == 403
    assert headers["x-amzn-ErrorType"] == (
        "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/"
    )
    assert body == {"Message": MISSING}
    record = emulator.requests[-1]
    assert (record.status, record.error_code, record.outcome) == (
        403,
        "AccessDeniedException",
        "error",
    )


def test_boto3_without_credentials_raises_access_denied(emulator: BedrockEmulator) -> None:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(client.exceptions.AccessDeniedException) as info:
        client.converse_stream(modelId=NOVA, messages=MESSAGES)
    client.close()
    assert info.value.response["Error"]["Message"] == MISSING
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "authorization" not in headers_of(emulator)


def test_a_sigv4_client_still_streams(emulator: BedrockEmulator, client: Any) -> None:
    events = list(client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"])
    assert "messageStop" in events[-2] and "metadata" in events[-1]
    assert headers_of(emulator)["authorization"].startswith("AWS4-HMAC-SHA256 ")


def test_a_malformed_signature_is_an_incomplete_signature(emulator: BedrockEmulator) -> None:
    status, headers, body = post(emulator, {"Authorization": "AWS4-HMAC-SHA256 Credential=x"})
    assert status == 403
    assert headers["x-amzn-ErrorType"].startswith("IncompleteSignatureException:")
    assert body["Message"]


def test_any_key_is_accepted_by_default(emulator: BedrockEmulator) -> None:
    status, _, body = post(emulator, {"Authorization": "Bearer anything-at-all"})
    assert status == 200 and body["stopReason"] == "end_turn"
    assert post(emulator, {"Authorization": "Bearer "})[2] == {"Message": BAD_FORMAT}


@pytest.mark.parametrize(
    ("token", "message"),
    [("not-a-key", BAD_FORMAT), ("bedrock-api-key-unknown", UNKNOWN_KEY), ("ABSKzzz", UNKNOWN_KEY)],
)
def test_configured_keys_refuse_others_as_bedrock_does(
    keyed: BedrockEmulator, token: str, message: str
) -> None:
    status, headers, body = post(keyed, {"Authorization": f"Bearer {token}"})
    assert status == 403
    assert headers["x-amzn-ErrorType"].startswith("AccessDeniedException:")
    assert body == {"Message": message}


@pytest.mark.parametrize("token", [KEY, "my-local-key"])
def test_configured_keys_are_accepted(keyed: BedrockEmulator, token: str) -> None:
    assert post(keyed, {"Authorization": f"bearer {token}"})[0] == 200


def test_admin_endpoints_need_no_credentials(emulator: BedrockEmulator) -> None:
    connection = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    connection.request("GET", "/_emulator/requests")
    assert connection.getresponse().status == 200
    connection.close()


@pytest.fixture
def real_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", KEY)  # a developer's own, in their shell


def test_the_pytest_fixture_is_not_defeated_by_a_real_api_key(
    real_api_key: None, bedrock_emulator: BedrockEmulator
) -> None:
    from bedrock_stream.bedrock import stream_text

    text = "".join(stream_text("Hello", model_id=NOVA))
    assert text == bedrock_emulator.requests[-1].text
    assert headers_of(bedrock_emulator)["authorization"].startswith("AWS4-HMAC-SHA256 ")


@pytest.fixture
def a_developers_aws_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A laptop's: a profile in a shared config file, and a session token in the shell."""
    config = tmp_path / "config"
    config.write_text("[profile dev]\nregion = eu-west-3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "a-real-session-token")


def test_the_pytest_fixture_is_not_defeated_by_a_developers_aws_setup(
    a_developers_aws_setup: None, bedrock_emulator: BedrockEmulator
) -> None:
    from bedrock_stream.bedrock import default_client, stream_text
    from bedrock_stream.bedrock.transport import BuiltinClient

    text = "".join(stream_text("Hello", model_id=NOVA))
    assert text == bedrock_emulator.requests[-1].text
    assert isinstance(default_client(), BuiltinClient)  # as in CI, and in a function
    headers = headers_of(bedrock_emulator)
    assert "/us-east-1/bedrock/aws4_request" in headers["authorization"]
    assert "x-amz-security-token" not in headers


@given(st.one_of(st.none(), st.text(max_size=200)))
def test_any_authorization_header_is_a_scheme_or_an_auth_error(header: str | None) -> None:
    outcome: str | AuthError
    try:
        outcome = Access().check(header)
    except AuthError as error:
        outcome = error
    if isinstance(outcome, AuthError):
        assert outcome.status == 403 and outcome.message
    else:
        assert outcome in ("bearer", "sigv4")


def test_inside_a_function_the_trace_header_goes_along_unsigned(
    emulator: BedrockEmulator, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "Fn")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", trace)
    list(client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"])
    headers = headers_of(emulator)
    assert headers["x-amzn-trace-id"] == trace  # botocore's quoting keeps these characters
    assert "x-amzn-trace-id" not in headers["authorization"]
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    list(client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"])
    assert "x-amzn-trace-id" not in headers_of(emulator)  # outside a function: none
