"""Which transport the default client is, why, and what ``prime()`` builds at init."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from bedrock_replay import Server, llama, stream_reply

from bedrock_stream.bedrock import BedrockError, default_client, prime
from bedrock_stream.bedrock.transport import BuiltinClient


@pytest.fixture
def lambda_like(
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fresh_default_clients: dict[str, Any],
) -> dict[str, str]:
    """A function's environment: its region, its role's keys, the endpoint; no shared files."""
    environ = {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": server.url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_BEARER_TOKEN_BEDROCK",
        "HTTPS_PROXY",
        "AWS_CA_BUNDLE",
        "REQUESTS_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    return environ


def test_auto_takes_the_builtin_transport_in_a_functions_environment(
    lambda_like: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="bedrock_stream.bedrock"):
        client = default_client()
    assert isinstance(client, BuiltinClient)
    assert client.endpoint.url == lambda_like["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
    assert caplog.messages == [f"Bedrock calls use the built-in transport ({client.endpoint.url})"]


def test_auto_falls_back_to_boto3_where_a_profile_is_chosen_and_says_why(
    lambda_like: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    Path(lambda_like["AWS_CONFIG_FILE"]).write_text("[profile dev]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # read the files afresh
    with caplog.at_level(logging.DEBUG, logger="bedrock_stream.bedrock"):
        client = default_client()
    assert not isinstance(client, BuiltinClient)
    assert client.meta.service_model.service_name == "bedrock-runtime"
    (message,) = caplog.messages
    assert message.startswith("Bedrock calls use boto3: ") and "AWS_PROFILE" in message


def test_a_proxy_sends_the_calls_to_boto3(
    lambda_like: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.internal:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://user:secret@proxy.internal:3128")
    with pytest.raises(BedrockError) as caught:
        default_client("builtin")
    assert "proxy" in str(caught.value) and "secret" not in str(caught.value)
    assert not isinstance(default_client(), BuiltinClient)


def test_builtin_forced_where_it_cannot_serve_raises_why(
    lambda_like: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("BEDROCK_STREAM_BEDROCK_TRANSPORT", "builtin")
    with pytest.raises(BedrockError, match="built-in Bedrock transport cannot serve here"):
        default_client()


def test_the_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEDROCK_STREAM_BEDROCK_TRANSPORT", "urllib3")
    with pytest.raises(ValueError, match="BEDROCK_STREAM_BEDROCK_TRANSPORT"):
        default_client()


def test_each_transport_has_its_own_cached_client(lambda_like: dict[str, str]) -> None:
    builtin, boto3 = default_client("builtin"), default_client("boto3")
    assert isinstance(builtin, BuiltinClient) and not isinstance(boto3, BuiltinClient)
    assert default_client("builtin") is builtin and default_client("boto3") is boto3
    assert isinstance(default_client(), BuiltinClient)  # auto: the built-in one here


def test_prime_builds_the_default_client_and_its_tls_context(
    lambda_like: dict[str, str], fresh_default_clients: dict[str, Any], server: Server
) -> None:
    prime()
    (client,) = fresh_default_clients.values()
    assert isinstance(client, BuiltinClient)
    assert server.requests == []  # nothing was sent, no connection was needed


def test_before_a_snapshot_prime_makes_no_boto3_client(
    lambda_like: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    fresh_default_clients: dict[str, Any],
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    monkeypatch.setenv("BEDROCK_STREAM_BEDROCK_TRANSPORT", "boto3")
    prime()
    assert fresh_default_clients == {}  # a boto3 client would read credentials now
    assert "boto3" in sys.modules
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    prime()
    assert list(fresh_default_clients) == ["boto3"]


CALL = """
import sys
from bedrock_stream.bedrock import stream_text
text = "".join(stream_text("hi", model_id="meta.llama3-8b-instruct-v1:0", api="invoke"))
print(text, "boto3" in sys.modules, "botocore" in sys.modules, "urllib3" in sys.modules)
"""


def test_a_call_on_the_builtin_transport_never_imports_boto3(
    lambda_like: dict[str, str], server: Server
) -> None:
    server.replies.append(stream_reply(llama("Hello", stop="stop")))
    environ = {**os.environ, **lambda_like}
    done = subprocess.run(
        [sys.executable, "-c", CALL], env=environ, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["Hello", "False", "False", "False"]
    ((path, body),) = server.requests
    assert path == "/model/meta.llama3-8b-instruct-v1%3A0/invoke-with-response-stream"
    assert body["prompt"]


def test_without_boto3_where_only_boto3_can_serve_the_error_says_why(
    lambda_like: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if not installed: import fails
    with pytest.raises(BedrockError) as caught:
        default_client()
    assert str(caught.value).startswith("boto3 is needed here (")
    assert "region" in str(caught.value) and "not installed" in str(caught.value)


def test_a_transport_argument_is_checked_like_the_variable(lambda_like: dict[str, str]) -> None:
    assert isinstance(default_client("Builtin"), BuiltinClient)  # any case, as the variable
    with pytest.raises(ValueError, match="expected one of auto, builtin, boto3"):
        default_client("boto")


def test_a_session_token_that_is_no_header_value_goes_to_boto3_unquoted(
    lambda_like: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "SECRET-TOKEN\n")  # a stray newline, pasted
    with pytest.raises(BedrockError, match="not a valid header value") as caught:
        default_client("builtin")
    assert "SECRET" not in str(caught.value)


def test_without_a_system_certificate_store_https_goes_to_boto3(
    lambda_like: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "https://bedrock.internal")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))  # what OpenSSL would read
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "none"))
    with pytest.raises(BedrockError, match="no system certificate store"):
        default_client("builtin")
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tmp_path / "ca.pem"))  # one given: served
    assert isinstance(default_client("builtin"), BuiltinClient)


def test_a_header_value_http_cannot_carry_is_refused_without_quoting_it(
    lambda_like: dict[str, str], server: Server
) -> None:
    client = default_client("builtin")
    with pytest.raises(BedrockError, match="header value") as caught:
        client.invoke_model(modelId="m", body=b"{}", trace="ENABLED\nX-Injected: 1")
    assert "Injected" not in str(caught.value) and caught.value.__cause__ is None
    assert server.requests == []
