"""Serve an ASGI app (FastAPI, Starlette, sse-starlette ...) as a streaming Lambda function.

``handler = asgi_handler(app)`` is a Lambda handler: deployed with the streaming runtime
(the exec wrapper or the container entry point) it streams each ``http.response.body`` as
the app sends it; without it (``sam local``, a unit test) it answers buffered. See the
"Bring your app" page for what is supported and what is refused.
"""

from __future__ import annotations

from bedrock_stream.asgi.adapter import asgi_handler
from bedrock_stream.asgi.lifespan import LifespanError, LifespanMode
from bedrock_stream.asgi.messages import ASGIProtocolError

__all__ = ["ASGIProtocolError", "LifespanError", "LifespanMode", "asgi_handler"]
