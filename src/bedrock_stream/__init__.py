"""Stream Python AWS Lambda responses through API Gateway REST STREAM and function URLs.

Importing this package is cheap: it imports no third-party module, no asyncio and
no server code. The public names below are loaded on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
__version__ = "0.1.0"

__all__ = [
    "CORS",
    "HTTPError",
    "MidStreamError",
    "StreamingResponse",
    "__version__",
    "streaming_handler",
]

if TYPE_CHECKING:
    from typing import Any

    from bedrock_stream.errors import HTTPError, MidStreamError
    from bedrock_stream.handler import streaming_handler
    from bedrock_stream.response import CORS, StreamingResponse

_LAZY = {
    "CORS": "bedrock_stream.response",
    "StreamingResponse": "bedrock_stream.response",
    "HTTPError": "bedrock_stream.errors",
    "MidStreamError": "bedrock_stream.errors",
    "streaming_handler": "bedrock_stream.handler",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bedrock_stream' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
