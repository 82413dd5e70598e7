from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bedrock_stream.local.runtime_api import Result, RuntimeAPIServer
from bedrock_stream.runtime.client import RuntimeAPI
from bedrock_stream.runtime.loop import Runtime


class Harness:
    """A local Runtime API and this runtime's client, one invocation at a time, in-process."""

    def __init__(self, server: RuntimeAPIServer) -> None:
        self.server = server
        self.api = RuntimeAPI(server.address)

    def invoke(
        self,
        handler: Callable[[Any, Any], Any],
        event: Any = None,
        *,
        streaming: bool = True,
        deadline_guard: float = 0,
        **invoke_args: Any,
    ) -> Result:
        invocation = self.server.invoke(event, **invoke_args)
        Runtime(self.api, handler, streaming=streaming, deadline_guard=deadline_guard).invoke(
            self.api.next()
        )
        return invocation.result(timeout=10)


@pytest.fixture
def server() -> Iterator[RuntimeAPIServer]:
    with RuntimeAPIServer() as api:
        yield api


@pytest.fixture
def harness(server: RuntimeAPIServer) -> Iterator[Harness]:
    h = Harness(server)
    yield h
    h.api.close()
