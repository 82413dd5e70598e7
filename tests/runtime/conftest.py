from __future__ import annotations

import concurrent.futures
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
        # Read as a client does, while the handler writes: the Runtime API holds back a
        # stream that nobody reads once STREAM_BUFFER bytes wait.
        with concurrent.futures.ThreadPoolExecutor(1) as reader:
            result = reader.submit(invocation.result, 30)
            Runtime(self.api, handler, streaming=streaming, deadline_guard=deadline_guard).invoke(
                self.api.next()
            )
            return result.result()


@pytest.fixture
def server() -> Iterator[RuntimeAPIServer]:
    with RuntimeAPIServer() as api:
        yield api


@pytest.fixture
def harness(server: RuntimeAPIServer) -> Iterator[Harness]:
    h = Harness(server)
    yield h
    h.api.close()
