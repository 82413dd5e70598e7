from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The loopback Bedrock replay server of the Bedrock tests, shared here.
sys.path.insert(0, str(Path(__file__).parents[1] / "bedrock"))

from bedrock_replay import Server, replay_client


@pytest.fixture(scope="module")
def bedrock_server() -> Iterator[Server]:
    server = Server()
    yield server
    server.close()


@pytest.fixture
def bedrock(bedrock_server: Server) -> Iterator[Server]:
    bedrock_server.replies.clear()
    bedrock_server.requests.clear()
    yield bedrock_server
    assert not bedrock_server.replies, "every prepared reply was requested"


@pytest.fixture
def bedrock_client(bedrock_server: Server) -> Any:
    return replay_client(bedrock_server.url)
