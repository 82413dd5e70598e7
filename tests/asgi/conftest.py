"""The ASGI matrix's servers: uvicorn in a thread, and the local stack with the app as a Lambda.

``apps/`` goes on ``sys.path`` so that the test process imports the very modules the
functions import (``matrix_app``, ``startup_fails``).
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn

from bedrock_stream.local.stack import LocalStack
from waiting import wait_until

if TYPE_CHECKING:
    from app_matrix import Sides

APPS = Path(__file__).parent / "apps"
TEMPLATE = Path(__file__).parent / "template.yaml"

sys.path.insert(0, str(APPS))


class Uvicorn:
    """uvicorn serving ``app`` on a free loopback port, in a daemon thread."""

    def __init__(self, app: Any, *, root_path: str = "") -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            app, root_path=root_path, lifespan="on", ws="none", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._socket = sock

    def __enter__(self) -> Uvicorn:
        self._thread.start()
        wait_until(lambda: self.server.started, "uvicorn started")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self._thread.join(30)
        self._socket.close()


@pytest.fixture(scope="session")
def uvicorn_servers() -> Iterator[dict[str, str]]:
    """Base URLs of uvicorn serving the matrix app: ``plain``, and ``staged`` at ``/Prod``."""
    from matrix_app import app

    with Uvicorn(app) as plain, Uvicorn(app, root_path="/Prod") as staged:
        yield {"plain": plain.url, "staged": staged.url}


@pytest.fixture(scope="session")
def asgi_stack() -> Iterator[LocalStack]:
    """The local stack running ``template.yaml``."""
    from app_matrix import lambda_stack

    with lambda_stack(TEMPLATE) as running:
        yield running


@pytest.fixture(scope="session")
def lambda_bases(asgi_stack: LocalStack) -> dict[str, str]:
    """Base URLs of the matrix function: ``rest`` (with ``/Prod``) and ``url``."""
    from app_matrix import function_bases

    return function_bases(asgi_stack, "MatrixFunction")


@pytest.fixture(params=["rest", "url"])
def sides(
    request: pytest.FixtureRequest,
    uvicorn_servers: dict[str, str],
    lambda_bases: dict[str, str],
) -> Sides:
    """uvicorn and the Lambda behind one front door: REST (uvicorn staged) or function URL."""
    from app_matrix import sides

    return sides(request.param, uvicorn_servers, lambda_bases)
