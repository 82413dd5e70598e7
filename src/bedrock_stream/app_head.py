"""The head an app adapter's app sent, as the Lambda response carries it, sans I/O.

An ASGI ``http.response.start`` or a WSGI ``start_response`` gives a status and header
pairs. :func:`app_head` keeps every header in order except those that frame a message on one
HTTP connection (:data:`FRAMING`: API Gateway and function URLs frame the body themselves),
and moves ``Set-Cookie`` headers to the cookies, where both proxy formats want them.
:func:`wire` gives a request header's bytes, as both adapters hand them to an app.
:func:`adapter_options` are the response driver's options for an app's response. The
body's bytes are the app's alone: a failure after the head adds no frame of ours (no SSE
``event: error``); the stream ends as failed.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from typing import NamedTuple

from bedrock_stream._encoders import FORMATS
from bedrock_stream.handler import HandlerOptions
from bedrock_stream.response import ResponseHead, StreamingResponse

__all__ = ["FRAMING", "AppHead", "adapter_options", "app_head", "wire"]

FRAMING = frozenset(
    {
        "connection",
        "content-length",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
"""Headers of one connection's framing (lower case), which the front door sets for itself."""


class AppHead(NamedTuple):
    """An app's status, the headers kept (in order, repeats kept), and its cookies."""

    status: int
    headers: list[tuple[str, str]]
    cookies: list[str]

    def check(self) -> None:
        """Raise :class:`ValueError` naming the field if no prelude can carry this head."""
        ResponseHead(self.status, self.headers, self.cookies).to_prelude("1.0")

    def response(self, body: Iterable[bytes] | AsyncIterable[bytes]) -> StreamingResponse:
        """Return this head and ``body`` as the response driver takes them."""
        headers: dict[str, list[str]] = {}
        for name, value in self.headers:
            headers.setdefault(name, []).append(value)
        return StreamingResponse(
            body,
            status_code=self.status,
            headers=headers,
            cookies=self.cookies,
            error_event=_no_frame,
        )


def _no_frame(exc: Exception) -> bytes:
    """Return no in-band error frame: the app owns its body's bytes (see the module docstring)."""
    return b""


def app_head(status: int, headers: Iterable[tuple[str, str]]) -> AppHead:
    """Return the head of ``status`` and ``headers`` (see the module docstring)."""
    kept: list[tuple[str, str]] = []
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "set-cookie":
            cookies.append(value)
        elif lower not in FRAMING:
            kept.append((name, value))
    return AppHead(status, kept, cookies)


def adapter_options(*, eager_head: bool) -> HandlerOptions:
    """Return the response driver's options for an app adapter: the app sets its whole head.

    ``eager_head`` sends the head as soon as the adapter has it (ASGI's
    ``http.response.start``), not with the first chunk (WSGI's rule).
    """
    return HandlerOptions(
        status_code=200,
        content_type="application/octet-stream",  # unused: the app's head is used as given
        headers=[],
        cookies=[],
        cors=None,
        encode=FORMATS[None].encode,  # never called: an app's body is bytes
        http=None,
        heartbeat=0.0,
        verbatim=True,
        eager_head=eager_head,
    )


def wire(text: str) -> bytes:
    """Encode a request header value as bytes: Latin-1 if it can be, else UTF-8."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")
