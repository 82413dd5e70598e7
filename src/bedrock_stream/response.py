"""What a streaming handler answers with: status, headers, cookies, CORS and a body."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from bedrock_stream.http_integration import Prelude
from bedrock_stream.protocol.headers import header

__all__ = ["CORS", "Headers", "PayloadVersion", "ResponseHead", "StreamingResponse"]

Headers = Mapping[str, "str | Sequence[str]"]
"""Response headers: a name maps to one value or to a sequence of repeated values."""

PayloadVersion = Literal["1.0", "2.0"]
"""API Gateway's proxy payload formats: REST APIs use 1.0; function URLs 2.0."""


class CORS:
    """Cross-origin headers written into every response of a handler.

    With ``cors=CORS(...)`` set, an ``OPTIONS`` preflight request reaching the
    handler is answered with ``204`` and these headers, without calling the
    handler's function. ``max_age`` is how long, in seconds, a browser may cache
    a preflight answer (``Access-Control-Max-Age``).
    """

    __slots__ = (
        "allow_credentials",
        "allow_headers",
        "allow_methods",
        "allow_origin",
        "expose_headers",
        "max_age",
    )

    def __init__(
        self,
        *,
        allow_origin: str = "*",
        allow_methods: Sequence[str] = ("GET", "POST", "OPTIONS"),
        allow_headers: Sequence[str] = ("Content-Type", "Authorization"),
        expose_headers: Sequence[str] = (),
        allow_credentials: bool = False,
        max_age: int | None = 300,
    ) -> None:
        if allow_credentials and allow_origin == "*":
            raise ValueError("cors: allow_credentials needs an explicit allow_origin, not '*'")
        self.allow_origin = allow_origin
        self.allow_methods = tuple(allow_methods)
        self.allow_headers = tuple(allow_headers)
        self.expose_headers = tuple(expose_headers)
        self.allow_credentials = allow_credentials
        self.max_age = max_age

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in sorted(self.__slots__))
        return f"CORS({fields})"

    def headers(self, *, preflight: bool = False) -> list[tuple[str, str]]:
        """Return the CORS headers, with ``Access-Control-Max-Age`` on a preflight."""
        items = [
            ("Access-Control-Allow-Origin", self.allow_origin),
            ("Access-Control-Allow-Methods", ",".join(self.allow_methods)),
            ("Access-Control-Allow-Headers", ",".join(self.allow_headers)),
        ]
        if self.expose_headers:
            items.append(("Access-Control-Expose-Headers", ",".join(self.expose_headers)))
        if self.allow_credentials:
            items.append(("Access-Control-Allow-Credentials", "true"))
        if preflight and self.max_age is not None:
            items.append(("Access-Control-Max-Age", str(self.max_age)))
        return items


class StreamingResponse:
    """A body plus per-request metadata, returned by a handler instead of a bare iterable.

    Every field left as ``None`` falls back to the decorator's option::

        @streaming_handler
        def handler(event, context):
            if not authorized(event):
                raise HTTPError(403, "forbidden")
            return StreamingResponse(body=generate(event), status_code=201)

    ``error_event`` speaks a client protocol's failure: when the body raises after its
    first byte, ``error_event(exc)`` is written as the last bytes (e.g. OpenAI's
    ``data: {"error": ...}``) instead of the Server-Sent Events default ``event: error``,
    and the stream still ends as failed. It must not put the exception's text in the frame.
    """

    __slots__ = ("body", "content_type", "cookies", "error_event", "headers", "status_code")

    def __init__(
        self,
        body: Iterable[Any] | AsyncIterable[Any],
        *,
        status_code: int | None = None,
        headers: Headers | None = None,
        cookies: Sequence[str] | None = None,
        content_type: str | None = None,
        error_event: Callable[[Exception], bytes] | None = None,
    ) -> None:
        self.body = body
        self.status_code = status_code
        self.headers = headers
        self.cookies = cookies
        self.content_type = content_type
        self.error_event = error_event

    def __repr__(self) -> str:
        return (
            f"StreamingResponse(body={self.body!r}, status_code={self.status_code!r}, "
            f"headers={self.headers!r}, cookies={self.cookies!r}, "
            f"content_type={self.content_type!r}, error_event={self.error_event!r})"
        )


def header_items(headers: Headers | None) -> list[tuple[str, str]]:
    """Flatten a header mapping into ``(name, value)`` pairs, repeated names kept."""
    items: list[tuple[str, str]] = []
    for name, value in (headers or {}).items():
        if isinstance(value, str):
            items.append((name, value))
        else:
            items.extend((name, v) for v in value)
    return items


def override(base: list[tuple[str, str]], top: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return ``base`` with every header named in ``top`` replaced (names compared without case)."""
    names = {name.lower() for name, _ in top}
    return [item for item in base if item[0].lower() not in names] + top


def grouped(items: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Group header values by name (without case), keeping the first spelling seen."""
    groups: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in items:
        key = spelling.setdefault(name.lower(), name)
        groups.setdefault(key, []).append(value)
    return groups


class ResponseHead:
    """The status line of one response: status, headers (in order, repeats kept), cookies."""

    __slots__ = ("cookies", "headers", "status_code")

    def __init__(
        self,
        status_code: int,
        headers: list[tuple[str, str]] | None = None,
        cookies: list[str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = headers or []
        self.cookies = cookies or []

    def content_type(self) -> str | None:
        """Return the ``Content-Type`` header's value, if any."""
        return header(self.headers, "content-type")

    def split(
        self, version: PayloadVersion
    ) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
        """Split the headers the way clients of payload ``version`` read them.

        Returns single-valued headers, multi-valued headers and cookies
        (``Set-Cookie`` headers included). A repeated header is multi-valued for
        REST (1.0) clients and comma-joined for function URLs (2.0), whose
        formats have no ``multiValueHeaders``.
        """
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        cookies = list(self.cookies)
        for name, values in grouped(self.headers).items():
            if name.lower() == "set-cookie":
                cookies.extend(values)
            elif len(values) == 1 or version == "2.0":
                single[name] = ", ".join(values)
            else:
                multi[name] = values
        return single, multi, cookies

    def to_prelude(self, version: PayloadVersion) -> Prelude:
        """Build the streaming prelude for a client of payload ``version`` (see :meth:`split`).

        Raises:
            ValueError: the metadata is invalid (see :class:`Prelude`).
        """
        single, multi, cookies = self.split(version)
        return Prelude(
            status_code=self.status_code,
            headers=single,
            multi_value_headers=multi,
            cookies=cookies,
        )
