"""The ASGI connection scopes the adapter gives an app: ``http`` and ``lifespan``, sans I/O.

The fields are those uvicorn gives, with the same conventions: names of headers in lower
case, ``path`` percent-decoded and ``root_path`` included in it, ``raw_path`` and
``query_string`` as sent, and the ``state`` a lifespan startup left, copied (shallowly)
into each request's scope. The spec version is uvicorn's, ``2.3``: an app learns that the
client left from ``http.disconnect``, never from ``send`` raising.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bedrock_stream.app_head import wire

if TYPE_CHECKING:
    from bedrock_stream.proxy_request import HTTPRequest

__all__ = ["ASGI", "http_scope", "lifespan_scope"]

ASGI = {"version": "3.0", "spec_version": "2.3"}
"""The ``asgi`` key of every scope."""


def http_scope(request: HTTPRequest, state: dict[str, Any]) -> dict[str, Any]:
    """Return the ``http`` scope of ``request``, with a copy of the lifespan's ``state``."""
    return {
        "type": "http",
        "asgi": dict(ASGI),
        "http_version": request.http_version,
        "server": request.server,
        "client": request.client,
        "scheme": request.scheme,
        "method": request.method,
        "root_path": request.root_path,
        "path": request.path,
        "raw_path": request.raw_path,
        "query_string": request.query_string,
        "headers": [(wire(name), wire(value)) for name, value in request.headers],
        "state": state.copy(),
    }


def lifespan_scope(state: dict[str, Any]) -> dict[str, Any]:
    """Return the ``lifespan`` scope; the app may fill ``state`` during its startup."""
    return {"type": "lifespan", "asgi": dict(ASGI), "state": state}
