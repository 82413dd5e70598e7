"""A Bedrock API key against the emulator over HTTPS: boto3 holds no SigV4 credentials."""

import boto3

from bedrock_stream.local.bedrock import BedrockEmulator

MODEL_ID = "us.amazon.nova-pro-v1:0"
NOT_SIGV4 = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]


def test_boto3_streams_with_an_api_key(monkeypatch, tmp_path):
    for name in NOT_SIGV4:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))  # no profile either
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # nor an instance role
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-local")
    with BedrockEmulator(https=True, speed=0) as bedrock:
        for name, value in bedrock.env().items():  # an https:// endpoint, and AWS_CA_BUNDLE
            monkeypatch.setenv(name, value)
        client = boto3.client("bedrock-runtime", region_name="us-east-1")
        messages = [{"role": "user", "content": [{"text": "What is a river?"}]}]
        response = client.converse_stream(modelId=MODEL_ID, messages=messages)
        events = list(response["stream"])
        client.close()
    text = "".join(
        e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e
    )
    assert text == bedrock.requests[-1].text
    assert ("Authorization", "Bearer bedrock-api-key-local") in bedrock.requests[-1].headers
