"""The WSGI matrix's servers: Werkzeug's in a thread, and the local stack with the app as a Lambda.

The reference is Werkzeug's threaded server rather than ``wsgiref``: it speaks HTTP/1.1 and
frames a body of unknown length as chunked, so a stream cut short shows (``wsgiref`` speaks
HTTP/1.0, where the end of a body is the close of the connection, cut short or not). It
serves the app twice: at ``/`` and, as a proxy mounting it under a prefix would, at
``/Prod`` (``SCRIPT_NAME`` ``/Prod``, as behind the REST API's stage). ``apps/`` goes on
``sys.path`` so that the test process imports the very module the function imports.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from bedrock_stream.local.stack import LocalStack

if TYPE_CHECKING:
    from app_matrix import Sides

APPS = Path(__file__).parent / "apps"
TEMPLATE = Path(__file__).parent / "template.yaml"

sys.path.insert(0, str(APPS))


@pytest.fixture(scope="session")
def werkzeug_bases() -> Iterator[dict[str, str]]:
    """Base URLs of Werkzeug serving the Flask app: ``plain``, and ``staged`` under ``/Prod``."""
    from flask_app import application

    staged = DispatcherMiddleware(application, {"/Prod": application})
    server = make_server("127.0.0.1", 0, staged, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        yield {"plain": base, "staged": f"{base}/Prod"}
    finally:
        server.shutdown()
        thread.join(30)
        server.server_close()


@pytest.fixture(scope="session")
def wsgi_stack() -> Iterator[LocalStack]:
    """The local stack running ``template.yaml``."""
    from app_matrix import lambda_stack

    with lambda_stack(TEMPLATE) as running:
        yield running


@pytest.fixture(scope="session")
def flask_lambda_bases(wsgi_stack: LocalStack) -> dict[str, str]:
    """Base URLs of the Flask function: ``rest`` (with ``/Prod``) and ``url``."""
    from app_matrix import function_bases

    return function_bases(wsgi_stack, "FlaskFunction")


@pytest.fixture(params=["rest", "url"])
def flask_sides(
    request: pytest.FixtureRequest,
    werkzeug_bases: dict[str, str],
    flask_lambda_bases: dict[str, str],
) -> Sides:
    """Werkzeug and the Lambda behind one front door: REST (Werkzeug staged) or function URL."""
    from app_matrix import sides

    return sides(request.param, werkzeug_bases, flask_lambda_bases)
