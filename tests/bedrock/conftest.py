"""Fixtures: one loopback server, and a client of each transport pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bedrock_replay import Server, replay_client

from bedrock_transports import TRANSPORTS


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
    _server.connections = 0
    return _server


@pytest.fixture(scope="session", params=TRANSPORTS)
def _client(_server: Server, request: pytest.FixtureRequest) -> Iterator[Any]:
    client = replay_client(_server.url, request.param)
    yield client
    client.close()


@pytest.fixture
def client(_client: Any, server: Server) -> Any:
    return _client


@pytest.fixture(params=TRANSPORTS)
def bedrock_emulator(
    bedrock_emulator: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The plugin's emulator, with the default client on each transport in turn."""
    monkeypatch.setenv("BEDROCK_STREAM_BEDROCK_TRANSPORT", request.param)
    return bedrock_emulator
