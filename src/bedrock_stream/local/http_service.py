"""The base of the local servers that own an :class:`~.http_server.HTTPServer`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typing_extensions import Self

if TYPE_CHECKING:
    from bedrock_stream.local.http_server import HTTPServer

__all__ = ["HTTPService"]


class HTTPService:
    """Base of the local servers that own an :class:`HTTPServer`: start, close, url."""

    server: HTTPServer

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return self.server.url

    def start(self) -> Self:
        """Start serving."""
        self.server.start()
        return self

    def close(self) -> None:
        """Stop serving."""
        self.server.close()
