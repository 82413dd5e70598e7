"""A static site for the local stack: a directory's files, plus the stack's endpoints.

The reference app's comparison page (``web/`` beside the template) is served this way:
``GET /`` is ``index.html``, and ``GET /config.json`` tells the page where the local APIs
are. Only ``GET`` and ``HEAD``; paths never leave the directory.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from bedrock_stream.local.http_server import Exchange, HTTPServer, HTTPService

__all__ = ["StaticSite"]


class StaticSite(HTTPService):
    """Serve ``directory`` and ``/config.json`` (``config`` as JSON) on loopback."""

    def __init__(
        self,
        directory: Path,
        config: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.directory = directory.resolve()
        self.config = config
        self.server = HTTPServer(self._handle, host, port, name="web")

    @property
    def config(self) -> Mapping[str, str]:
        """What ``/config.json`` answers."""
        return self._config

    @config.setter
    def config(self, config: Mapping[str, str]) -> None:
        self._config = dict(config)

    @property
    def url(self) -> str:
        """The site's root URL."""
        return self.server.url + "/"

    def _handle(self, exchange: Exchange) -> None:
        if exchange.method not in ("GET", "HEAD"):
            exchange.respond(405, [("Allow", "GET, HEAD")])
            return
        path = unquote(exchange.target.split("?", 1)[0])
        if path == "/config.json":
            body, content_type = json.dumps(self._config).encode(), "application/json"
        else:
            file = self._file(path)
            if file is None:
                exchange.respond_json(404, {"message": "Not Found"})
                return
            body = file.read_bytes()
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type.endswith("javascript"):
                content_type += "; charset=utf-8"
        headers = [("Content-Type", content_type), ("Cache-Control", "no-store")]
        exchange.respond(200, headers, b"" if exchange.method == "HEAD" else body)

    def _file(self, path: str) -> Path | None:
        relative = path.lstrip("/") or "index.html"
        file = (self.directory / relative).resolve()
        if file.is_dir():
            file = file / "index.html"
        if not file.is_relative_to(self.directory) or not file.is_file():
            return None
        return file
