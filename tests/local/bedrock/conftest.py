"""Fixtures: one Bedrock emulator (no delays) and real boto3 clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bedrock_stream.local.bedrock import BedrockEmulator

pytest.importorskip("boto3")


def make_client(url: str, *, attempts: int = 1, read_timeout: float = 10.0) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"total_max_attempts": attempts}, read_timeout=read_timeout),
    )


@pytest.fixture(scope="session")
def _emulator() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(speed=0) as emulator:
        yield emulator


@pytest.fixture
def emulator(_emulator: BedrockEmulator) -> BedrockEmulator:
    _emulator.faults.clear()
    _emulator.requests.clear()
    return _emulator


@pytest.fixture(scope="session")
def _client(_emulator: BedrockEmulator) -> Iterator[Any]:
    client = make_client(_emulator.url)
    yield client
    client.close()


@pytest.fixture
def client(_client: Any, emulator: BedrockEmulator) -> Any:
    """A client without botocore retries (like ``default_client``)."""
    return _client


@pytest.fixture
def new_client(emulator: BedrockEmulator) -> Iterator[Callable[..., Any]]:
    """Make more clients (``make_client`` options); closed after the test."""
    clients: list[Any] = []

    def new(**options: Any) -> Any:
        clients.append(make_client(emulator.url, **options))
        return clients[-1]

    yield new
    for client in clients:
        client.close()
