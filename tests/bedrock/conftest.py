"""Fixtures: one loopback server and one real boto3 client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bedrock_replay import Server, replay_client


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
    return replay_client(_server.url)


@pytest.fixture
def client(_client: Any, server: Server) -> Any:
    return _client
