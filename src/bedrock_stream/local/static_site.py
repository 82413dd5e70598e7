"""A static site for the local stack: a directory's files, plus the stack's endpoints.

The reference app's comparison page (``web/`` beside the template) is served this way:
``GET /`` is ``index.html``, and ``GET /config.json`` tells the page where the local APIs
are. Only ``GET`` and ``HEAD``; paths never leave the directory. A path that is not UTF-8
or holds a NUL is a 400; one that cannot name a file here (too long, a symlink loop) a 404.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from bedrock_stream.local.http_server import HTTPServer
from bedrock_stream.local.http_service import HTTPService

if TYPE_CHECKING:
    from bedrock_stream.local.http_exchange import Exchange

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
        path = _path(exchange.target)
        if path is None:
            exchange.respond_json(400, {"message": "Bad Request"})
            return
        found = self._config_json() if path == "/config.json" else self._read(path)
        if found is None:
            exchange.respond_json(404, {"message": "Not Found"})
            return
        body, content_type = found
        headers = [("Content-Type", content_type), ("Cache-Control", "no-store")]
        exchange.respond(200, headers, b"" if exchange.method == "HEAD" else body)

    def _config_json(self) -> tuple[bytes, str]:
        """Return ``/config.json``'s body and content type."""
        return json.dumps(self._config).encode(), "application/json"

    def _read(self, path: str) -> tuple[bytes, str] | None:
        """Return the file at ``path`` and its content type; None if there is none to serve."""
        file = self._file(path)
        if file is None:
            return None
        try:
            body = file.read_bytes()
        except OSError:  # unreadable, or gone since it was found
            return None
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        return body, content_type

    def _file(self, path: str) -> Path | None:
        """Return the regular file ``path`` names inside the directory, None if none."""
        relative = path.lstrip("/") or "index.html"
        # A name too long is an OSError; a symlink loop a RuntimeError before Python 3.13.
        with contextlib.suppress(OSError, RuntimeError):
            file = (self.directory / relative).resolve()
            if file.is_dir():
                file = (file / "index.html").resolve()
            if file.is_relative_to(self.directory) and file.is_file():
                return file
        return None


def _path(target: str) -> str | None:
    """Return ``target``'s path percent-decoded; None if it is not UTF-8 or holds a NUL."""
    raw = unquote_to_bytes(target.split("?", 1)[0].encode("latin-1"))
    try:
        path = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\0" in path else path
