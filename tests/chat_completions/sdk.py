"""The official openai client reading bytes we made, over an httpx mock transport."""

from __future__ import annotations

from collections.abc import Callable

import httpx2 as httpx
import openai


def client_for(
    respond: Callable[[httpx.Request], httpx.Response], base_url: str = "http://test/v1"
) -> openai.OpenAI:
    """Return an ``openai.OpenAI`` whose every request is answered by ``respond``."""
    transport = httpx.MockTransport(respond)
    return openai.OpenAI(
        api_key="test",
        base_url=base_url,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
    )


def sse_client(body: bytes) -> openai.OpenAI:
    """Return a client whose completions are the event stream ``body``."""
    return client_for(
        lambda request: httpx.Response(
            200, headers={"content-type": "text/event-stream"}, content=body
        )
    )
