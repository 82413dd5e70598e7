"""Fixtures: one loopback server and one real boto3 client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bedrock_replay import Server


@pytest.fixture(scope="session")
def _server() -> Iterator[Server]:
    server = Server()
    yield server
    server.close()


@pytest.fixture
def server(_server: Server) -> Server:
    _server.replies.clear()
    _server.requests.clear()
    _server.client_left.clear()
    return _server


@pytest.fixture(scope="session")
def _client(_server: Server) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=_server.url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}, read_timeout=10),
    )


@pytest.fixture
def client(_client: Any, server: Server) -> Any:
    return _client
