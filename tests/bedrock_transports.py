"""The two transports the Bedrock layer runs on, as clients for a test's server.

Tests of the library's behaviour run on both: a real boto3 ``bedrock-runtime`` client, and the
built-in transport built by :func:`~bedrock_stream.bedrock.transport.builtin_client` from the
environment a function would have. Neither retries, like ``default_client``. Importable from
every test module (``tests/`` is on ``sys.path``).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from bedrock_stream.bedrock.transport import BuiltinClient, builtin_client

TRANSPORTS = ("boto3", "builtin")
"""The transports, as pytest parameters."""


def make_client(
    url: str,
    transport: str,
    *,
    attempts: int = 1,
    read_timeout: float = 10.0,
    keys: tuple[str, str] = ("test", "test"),
    api_key: str | None = None,
    ca_bundle: str | None = None,
) -> Any:
    """Return a client of ``transport`` for the endpoint ``url`` in us-east-1.

    ``attempts`` above 1 is botocore's own retrying, which only boto3 has.
    """
    if transport == "boto3":
        import boto3
        from botocore.config import Config

        return boto3.client(
            "bedrock-runtime",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id=keys[0],
            aws_secret_access_key=keys[1],
            verify=ca_bundle,
            config=Config(retries={"total_max_attempts": attempts}, read_timeout=read_timeout),
        )
    assert transport == "builtin" and attempts == 1, (transport, attempts)
    environ = {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": keys[0],
        "AWS_SECRET_ACCESS_KEY": keys[1],
        "AWS_CONFIG_FILE": "/nonexistent/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
    }
    if api_key is not None:
        environ["AWS_BEARER_TOKEN_BEDROCK"] = api_key
    if ca_bundle is not None:
        environ["AWS_CA_BUNDLE"] = ca_bundle
    client = builtin_client(environ, connect_timeout=10.0, read_timeout=read_timeout)
    assert isinstance(client, BuiltinClient), client
    return client


def isolate_aws_environment(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    """Leave only ``environ`` of the AWS and boto variables, for botocore and for us alike."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "BOTO_")):
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
