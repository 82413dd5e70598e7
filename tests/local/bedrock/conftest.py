"""Fixtures: one Bedrock emulator (no delays), and clients of each transport pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bedrock_stream.local.bedrock import BedrockEmulator
from bedrock_transports import TRANSPORTS, make_client

pytest.importorskip("boto3")


@pytest.fixture(scope="session")
def _emulator() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(speed=0) as emulator:
        yield emulator


@pytest.fixture
def emulator(_emulator: BedrockEmulator) -> BedrockEmulator:
    _emulator.faults.clear()
    _emulator.requests.clear()
    return _emulator


@pytest.fixture(scope="session", params=TRANSPORTS)
def _client(_emulator: BedrockEmulator, request: pytest.FixtureRequest) -> Iterator[Any]:
    client = make_client(_emulator.url, request.param)
    yield client
    client.close()


@pytest.fixture
def client(_client: Any, emulator: BedrockEmulator) -> Any:
    """A client of each transport, without retries (like ``default_client``)."""
    return _client


@pytest.fixture(scope="session")
def _boto3_client(_emulator: BedrockEmulator) -> Iterator[Any]:
    client = make_client(_emulator.url, "boto3")
    yield client
    client.close()


@pytest.fixture
def boto3_client(_boto3_client: Any, emulator: BedrockEmulator) -> Any:
    """A boto3 client without retries: the peer of tests of the emulator's own wire."""
    return _boto3_client


@pytest.fixture
def new_client(emulator: BedrockEmulator) -> Iterator[Callable[..., Any]]:
    """Make more clients (``make_client`` options); closed after the test."""
    clients: list[Any] = []

    def new(transport: str = "boto3", **options: Any) -> Any:
        clients.append(make_client(emulator.url, transport, **options))
        return clients[-1]

    yield new
    for client in clients:
        client.close()
