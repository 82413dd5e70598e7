"""The Bedrock emulator over HTTPS: Bedrock API keys from real SDKs, and HTTP/2 chosen by ALPN.

botocore sends a bearer token only to an ``https://`` endpoint, so these clients trust the
emulator's throwaway CA through ``AWS_CA_BUNDLE`` (``NODE_EXTRA_CA_CERTS`` for Node.js) and
hold no SigV4 credentials at all. Everything stays on loopback.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_bedrock_emulator_javascript import (
    FAMILIES,
    boto3_result,
    run_javascript_sdk,
    summaries,
)

from bedrock_stream.bedrock import stream_text
from bedrock_stream.local.bedrock import FAULT_HEADER, BedrockEmulator
from bedrock_stream.local.bedrock.auth import MISSING, UNKNOWN_KEY

NOVA = "us.amazon.nova-pro-v1:0"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
KEY = "bedrock-api-key-" + "k" * 32
MESSAGES = [{"role": "user", "content": [{"text": "Why is the sea salty?"}]}]
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
)


@pytest.fixture(scope="module")
def _https() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(speed=0, https=True, api_keys=[KEY]) as emulator:
        yield emulator


@pytest.fixture
def https(_https: BedrockEmulator) -> BedrockEmulator:
    _https.faults.clear()
    _https.requests.clear()
    return _https


@pytest.fixture
def api_key_env(
    https: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> dict[str, str]:
    """The environment of a process with a Bedrock API key and no SigV4 credentials."""
    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    env = {
        **https.env(),
        "AWS_BEARER_TOKEN_BEDROCK": KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",  # never ask an instance metadata service
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def new_client(**config: Any) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime", config=Config(retries={"total_max_attempts": 1}, **config)
    )


def authorization(record: Any) -> str:
    return next((value for name, value in record.headers if name.lower() == "authorization"), "")


def test_env_names_the_https_endpoint_and_its_ca_bundle(https: BedrockEmulator) -> None:
    env = https.env()
    assert env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] == f"https://127.0.0.1:{https.port}"
    assert env["AWS_CA_BUNDLE"].endswith(".pem")
    assert "BEGIN CERTIFICATE" in Path(env["AWS_CA_BUNDLE"]).read_text()


def test_boto3_streams_both_apis_with_an_api_key(
    https: BedrockEmulator, api_key_env: dict[str, str]
) -> None:
    client = new_client()
    try:
        assert client.meta.endpoint_url.startswith("https://")
        events = list(client.converse_stream(modelId=NOVA, messages=MESSAGES)["stream"])
        assert "metadata" in events[-1]
        body = json.dumps(
            {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200, "messages": MESSAGES}
        )
        chunks = list(client.invoke_model_with_response_stream(modelId=CLAUDE, body=body)["body"])
        assert json.loads(chunks[-1]["chunk"]["bytes"])["type"] == "message_stop"
    finally:
        client.close()
    records = https.requests
    assert [r.operation for r in records] == ["converse-stream", "invoke-stream"]
    assert {authorization(r) for r in records} == {f"Bearer {KEY}"}
    assert {(r.outcome, r.http_version) for r in records} == {("ok", "1.1")}


def test_stream_text_with_the_default_client_uses_the_api_key(
    https: BedrockEmulator, api_key_env: dict[str, str], fresh_default_clients: dict[str, Any]
) -> None:
    for api, model_id in (("converse", NOVA), ("invoke", CLAUDE)):
        text = "".join(stream_text("Why is the sea salty?", model_id=model_id, api=api))
        assert text == https.requests[-1].text
    assert {authorization(r) for r in https.requests} == {f"Bearer {KEY}"}


def test_a_refused_api_key_raises_access_denied(
    https: BedrockEmulator, api_key_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-revoked")
    client = new_client()
    with pytest.raises(client.exceptions.AccessDeniedException) as info:
        client.converse_stream(modelId=NOVA, messages=MESSAGES)
    client.close()
    assert info.value.response["Error"]["Message"] == UNKNOWN_KEY
    assert https.requests[-1].status == 403


def test_no_credentials_at_all_is_bedrocks_403(https: BedrockEmulator) -> None:
    context = ssl.create_default_context(cafile=https.env()["AWS_CA_BUNDLE"])
    connection = http.client.HTTPSConnection(https.host, https.port, context=context, timeout=10)
    body = json.dumps({"messages": MESSAGES})
    connection.request("POST", f"/model/{NOVA}/converse", body)
    response = connection.getresponse()
    assert response.status == 403
    assert json.loads(response.read()) == {"Message": MISSING}
    connection.close()


@pytest.mark.parametrize("alpn", [None, ["http/1.1"]], ids=["no-alpn", "alpn-http1.1"])
def test_an_http1_client_over_tls_streams(https: BedrockEmulator, alpn: list[str] | None) -> None:
    context = ssl.create_default_context(cafile=https.env()["AWS_CA_BUNDLE"])
    if alpn is not None:
        context.set_alpn_protocols(alpn)
    connection = http.client.HTTPSConnection(https.host, https.port, context=context, timeout=10)
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    for _ in range(2):  # keep-alive
        connection.request(
            "POST", f"/model/{NOVA}/converse-stream", json.dumps({"messages": MESSAGES}), headers
        )
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.read()
    connection.close()
    assert [(r.outcome, r.http_version) for r in https.requests] == [("ok", "1.1")] * 2


def test_a_request_pipelined_over_tls_during_a_stall_is_answered_after_it(
    https: BedrockEmulator,
) -> None:
    # TLS cannot peek at what the client sent: the exchange reads it and h11 keeps it.
    import h11

    context = ssl.create_default_context(cafile=https.env()["AWS_CA_BUNDLE"])
    body = json.dumps({"messages": MESSAGES}).encode()
    wires = []
    for fault in ("stall; after=2; seconds=0.5", None):
        client = h11.Connection(h11.CLIENT)
        headers = [("Host", "127.0.0.1"), ("Authorization", f"Bearer {KEY}")]
        headers += [("Content-Length", str(len(body)))]
        headers += [] if fault is None else [(FAULT_HEADER, fault)]
        request = h11.Request(
            method="POST", target=f"/model/{NOVA}/converse-stream", headers=headers
        )
        wires.append(client.send(request) + client.send(h11.Data(data=body)))
    with socket.create_connection((https.host, https.port), timeout=10) as raw:
        sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        sock.sendall(wires[0])
        received = sock.recv(65536)  # the stream has started: the stall comes next
        sock.sendall(wires[1])
        while received.count(b"\r\n0\r\n\r\n") < 2 and (data := sock.recv(65536)):
            received += data
        sock.close()
    assert received.count(b"HTTP/1.1 200 ") == 2
    assert [r.outcome for r in https.requests] == ["ok", "ok"]


def test_a_clear_text_client_gets_no_answer_from_the_https_port(https: BedrockEmulator) -> None:
    with socket.create_connection((https.host, https.port), timeout=5) as sock:
        sock.sendall(b"GET /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try:
            answer = sock.recv(1024)  # a TLS alert, or nothing
        except ConnectionResetError:
            answer = b""
    assert not answer.startswith(b"HTTP/")
    assert https.requests == []


@pytest.mark.parametrize(
    ("handler", "version"),
    [("default", "2"), ("http1", "1.1")],
    ids=["http2-by-alpn", "node-http-handler"],
)
def test_the_javascript_sdk_streams_over_https_with_an_api_key(
    https: BedrockEmulator, api_key_env: dict[str, str], handler: str, version: str
) -> None:
    model_ids = FAMILIES[:2]
    env = {**api_key_env, "NODE_EXTRA_CA_CERTS": api_key_env["AWS_CA_BUNDLE"]}
    results = run_javascript_sdk(https.url, handler, model_ids, env=env)
    javascript = list(https.requests)
    assert len(javascript) == 4 * len(model_ids)
    assert {r.http_version for r in javascript} == {version}  # the server's side of ALPN
    assert {r.outcome for r in javascript} == {"ok"}
    assert {authorization(r) for r in javascript} == {f"Bearer {KEY}"}
    client = new_client()
    try:
        for model_id, result in zip(model_ids, results, strict=True):
            expected = summaries(model_id, boto3_result(client, model_id))
            assert summaries(model_id, result) == expected
    finally:
        client.close()


def test_the_command_line_serves_https_and_prints_the_ca_bundle() -> None:
    command = [sys.executable, "-m", "bedrock_stream.local.bedrock", "--https", "--speed", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = process.stdout.readline().strip()
        exports = [process.stderr.readline().strip() for _ in range(2)]
        assert url.startswith("https://127.0.0.1:")
        bundle = exports[1].removeprefix("export AWS_CA_BUNDLE=")
        assert exports == [f"export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url}", exports[1]]
        context = ssl.create_default_context(cafile=bundle)
        host, port = url.removeprefix("https://").split(":")
        connection = http.client.HTTPSConnection(host, int(port), context=context, timeout=10)
        connection.request("GET", "/_emulator/requests")
        assert connection.getresponse().status == 200
        connection.close()
    finally:
        process.terminate()
        process.communicate(timeout=20)
    assert not Path(bundle).exists()  # removed at exit
