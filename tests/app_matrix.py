"""What the ASGI and WSGI conformance matrices share: a plain client, comparisons, events.

The same app is served two ways: by a reference server on loopback (uvicorn for ASGI,
Werkzeug's for WSGI) and as a Lambda function behind the local stack's front doors (a REST
API with ``STREAM`` transfer and a function URL with ``RESPONSE_STREAM``). Both are called
with :func:`call`, a plain ``http.client`` request with the same ``Host`` header, and their
answers compared with :func:`assert_same` (both at once: :meth:`Sides.compare`). Importable
from every test module: pytest puts ``tests/`` on ``sys.path`` for the root ``conftest.py``.

For the tests without a network, :func:`rest_event` and :func:`url_request_event` build the
events the front doors would send, with the local stack's own builders.

Streaming is shown with a gate, never a stopwatch (:func:`read_through_gate`): the app sends
its first chunk, then waits for the file ``release`` in a directory the request names; the
test creates it only after the first chunk reached it. An app that waited in vain writes
``timed-out`` there and goes on, so a buffering server fails an assertion, not a hang.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from hypothesis import strategies as st

from bedrock_stream.local.deployment import RestApi, Route
from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.messages import Request
from bedrock_stream.local.rest_api import Router, proxy_event
from bedrock_stream.local.stack import LocalStack

__all__ = [
    "BODIES",
    "FRONT_DOOR_HEADERS",
    "HOST",
    "QUERY_PAIRS",
    "Reply",
    "Sides",
    "assert_echoes",
    "assert_same",
    "call",
    "comparable",
    "function_bases",
    "grouped_by_key",
    "lambda_stack",
    "open_stream",
    "read_through_gate",
    "rest_event",
    "sides",
    "url_request_event",
]

HOST = "localhost"
"""The ``Host`` every request carries, so URLs an app builds are the same on every side
(a loopback name: the local stack refuses any other, against DNS rebinding)."""

FRONT_DOOR_HEADERS = frozenset(
    {
        "x-amzn-requestid",  # API Gateway and the function URL: the request's id
        "x-amz-apigw-id",  # API Gateway: the extended request id
        "x-amzn-trace-id",  # API Gateway and the function URL: the X-Ray trace header
        "apigw-requestid",  # API Gateway (HTTP APIs): the request's id
    }
)
"""Response headers the front doors add of their own, on every answer: not the app's."""

_FRAMING = frozenset({"date", "server", "connection", "content-length", "transfer-encoding"})
"""Headers of each server's own choosing: when it answered, its name, how it frames the body
(``Content-Length`` or chunked: a streamed body has no length up front) and keep-alive."""

IGNORED = FRONT_DOOR_HEADERS | _FRAMING
"""Every response header :func:`comparable` leaves out."""

UNORDERED = frozenset({"allow"})
"""Headers compared as sets of their comma-separated items: ``Allow``'s order means nothing
(RFC 9110, 10.2.1), and Werkzeug builds it from a set, whose order changes from one process
to the next with string hash randomization."""


@dataclass(frozen=True)
class Reply:
    """One response as the client read it."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    complete: bool
    """Whether the body ended cleanly (its framing said so); False if it was cut short."""

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (any case), or None."""
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[-1] if found else None


def comparable(reply: Reply, *, combined: bool = False) -> dict[str, list[str]]:
    """The reply's headers by lower-case name, values in order, without :data:`IGNORED`.

    The items of an :data:`UNORDERED` header are sorted. ``combined``: the values of each
    repeated field are joined with ``", "`` into one, which HTTP defines as the same field
    (RFC 9110 5.3); never ``Set-Cookie``'s, which cannot be combined.
    """
    fields: dict[str, list[str]] = {}
    for name, value in reply.headers:
        key = name.lower()
        if key in UNORDERED:
            value = ", ".join(sorted(item.strip() for item in value.split(",")))
        if key not in IGNORED:
            fields.setdefault(key, []).append(value)
    if combined:
        return {k: v if k == "set-cookie" else [", ".join(v)] for k, v in fields.items()}
    return fields


def assert_same(expected: Reply, got: Reply, *, combined: bool = False) -> None:
    """Assert status, headers (:func:`comparable`), body and clean end are the same."""
    assert (got.status, comparable(got, combined=combined)) == (
        expected.status,
        comparable(expected, combined=combined),
    )
    assert got.body == expected.body
    assert got.complete == expected.complete


class Sides(NamedTuple):
    """One app behind its reference server and behind one front door of the local stack."""

    reference: str
    """The reference server's base URL."""
    function: str
    """The front door's base URL (the REST API's with its stage)."""
    door: str
    """``rest`` (payload 1.0) or ``url`` (a function URL, payload 2.0)."""

    @property
    def combined(self) -> bool:
        """Whether repeated response fields come combined: a function URL's response (payload
        2.0) has one value per header name, where a REST API's has ``multiValueHeaders``."""
        return self.door == "url"

    def assert_same(self, expected: Reply, got: Reply) -> None:
        """:func:`assert_same`, repeated fields combined if this door combines them."""
        assert_same(expected, got, combined=self.combined)

    def compare(self, target: str, **kwargs: Any) -> Reply:
        """Send the same request to both; assert the answers are the same; return the first."""
        expected = call(self.reference, target, **kwargs)
        assert expected.complete
        self.assert_same(expected, call(self.function, target, **kwargs))
        return expected


def sides(door: str, references: Mapping[str, str], functions: Mapping[str, str]) -> Sides:
    """The sides behind ``door``: the REST API's with the reference server staged at ``/Prod``."""
    reference = references["staged" if door == "rest" else "plain"]
    return Sides(reference, functions[door].rstrip("/"), door)


@contextlib.contextmanager
def lambda_stack(template: Path) -> Iterator[LocalStack]:
    """The local stack running a matrix's ``template``."""
    if os.name != "posix":
        import pytest

        pytest.skip("the local Lambda service is POSIX")
    with LocalStack(template, port=0, speed=0, concurrency=2) as running:
        yield running


def function_bases(stack: LocalStack, function: str) -> dict[str, str]:
    """Base URLs of a matrix's ``function``: ``rest`` (with ``/Prod``) and ``url``."""
    route = stack.endpoint("MatrixApi", "rest-api").url  # .../Prod/{proxy+} or .../Prod/
    rest = route[: route.index("/Prod/") + len("/Prod")]
    return {"rest": rest, "url": stack.endpoint(function, "function-url").url}


BODIES: dict[str, tuple[bytes | list[bytes], str]] = {
    "binary": (random.Random(19).randbytes(1024 * 1024), "application/octet-stream"),
    "text": (("héllo wörld " * 90_000).encode(), "text/plain; charset=utf-8"),
    "empty": (b"", "application/octet-stream"),
    "chunked": ([bytes([n]) * 65536 for n in range(16)], "application/octet-stream"),
}
"""Request bodies for the echo routes: 1 MiB of bytes that are not UTF-8 (they travel
base64), 1.2 MB of UTF-8 text, nothing, and 1 MiB sent chunked (64 KiB a chunk)."""


def assert_echoes(both: Sides, kind: str) -> None:
    """Assert that both sides echo the ``BODIES[kind]`` body sent to ``POST /echo`` alike."""
    body, content_type = BODIES[kind]
    headers = {"Content-Type": content_type}
    whole = b"".join(body) if isinstance(body, list) else body
    assert both.compare("/echo", method="POST", body=body, headers=headers).body == whole


def _connection(base: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.netloc, timeout=30), parts.path.rstrip("/")


@contextlib.contextmanager
def open_stream(
    base: str,
    target: str,
    *,
    method: str = "GET",
    body: bytes | list[bytes] | None = None,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
) -> Iterator[http.client.HTTPResponse]:
    """Send ``method target`` to the server at ``base`` (a URL, maybe with a path prefix).

    ``headers`` may repeat a name (a sequence of pairs); ``Host`` is :data:`HOST`. A body
    given as a list of chunks goes chunked (``Transfer-Encoding: chunked``), one per chunk.
    """
    connection, prefix = _connection(base)
    fields = list(headers.items() if isinstance(headers, Mapping) else headers)
    names = {name.lower() for name, _ in fields}
    try:
        connection.putrequest(
            method,
            prefix + target,
            skip_host=True,
            skip_accept_encoding="accept-encoding" in names,
        )
        for name, value in [("Host", HOST), *fields]:
            connection.putheader(name, value)
        chunked = isinstance(body, list)
        if body is not None:
            connection.putheader(*_framing(body))
        connection.endheaders(iter(body) if chunked else body, encode_chunked=chunked)
        yield connection.getresponse()
    finally:
        connection.close()


def _framing(body: bytes | list[bytes]) -> tuple[str, str]:
    """The header that frames ``body``: its length, or chunked for a list of chunks."""
    if isinstance(body, list):
        return "Transfer-Encoding", "chunked"
    return "Content-Length", str(len(body))


def _read(response: http.client.HTTPResponse, head: bytes = b"") -> Reply:
    """Read the rest of ``response``; a cut-short body makes the reply incomplete."""
    body, complete = bytearray(head), True
    try:
        while chunk := response.read(65536):
            body += chunk
    except (TimeoutError, http.client.IncompleteRead, ConnectionError) as exc:
        if isinstance(exc, http.client.IncompleteRead):
            body += exc.partial
        complete = False
    return Reply(response.status, tuple(response.getheaders()), bytes(body), complete)


def call(base: str, target: str, **kwargs: Any) -> Reply:
    """Send one request (see :func:`open_stream`) and read its whole answer."""
    with open_stream(base, target, **kwargs) as response:
        return _read(response)


def read_through_gate(
    base: str, target: str, gate: Path, first: bytes, **kwargs: Any
) -> tuple[Reply, bytes]:
    """Read the first ``len(first)`` bytes, then open ``gate``; return the reply and them.

    The app behind ``target`` sends ``first``, then waits for ``gate / "release"``: had any
    layer held the first bytes back, they would arrive only once the app gave up waiting,
    which the assertion on ``timed-out`` reports.
    """
    gate.mkdir(parents=True, exist_ok=True)
    with open_stream(base, target, **kwargs) as response:
        head = bytearray()
        while len(head) < len(first):
            chunk = response.read1(len(first) - len(head))
            if not chunk:
                break
            head += chunk
        assert not (gate / "timed-out").exists(), (
            f"the first {len(first)} bytes arrived only after the app stopped waiting at "
            "its gate: the response was held back"
        )
        (gate / "release").touch()
        reply = _read(response, bytes(head))
    assert not (gate / "timed-out").exists(), "the app stopped waiting at its gate"
    return reply, bytes(head)


_ROUTER = Router([RestApi("Api", "Prod", (Route("ANY", "/{proxy+}", "Fn", streaming=True),))])

EVENT_HEADERS = (
    ("Host", "localhost:3000"),
    ("Content-Type", "text/plain"),
    ("X-Multi", "a"),
    ("X-Multi", "b"),
    ("Cookie", "s=1; t=2"),
)
"""The headers of a hand-built event's request, unless it says otherwise."""


def rest_event(
    target: str, body: bytes = b"", headers: tuple[tuple[str, str], ...] = EVENT_HEADERS
) -> dict[str, Any]:
    """The REST API event (payload 1.0) for ``POST /Prod<target>`` on a ``/{proxy+}`` route."""
    request = Request("POST", f"/Prod{target}", headers, body)
    match = _ROUTER.match(request.method, request.target)
    assert match is not None
    return proxy_event(request, match)


def url_request_event(
    target: str, body: bytes = b"", headers: tuple[tuple[str, str], ...] = EVENT_HEADERS
) -> dict[str, Any]:
    """The function URL event (payload 2.0) for ``POST <target>``."""
    return url_event(Request("POST", target, headers, body))


_QUERY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
QUERY_PAIRS = st.lists(st.tuples(_QUERY_TEXT.filter(bool), _QUERY_TEXT), max_size=6)
"""A query's key-value pairs: any text but lone surrogates, keys not empty, keys repeated."""


def grouped_by_key(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """``pairs`` as a REST event keeps them: each key's values together, keys as first seen."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return [(key, value) for key, values in grouped.items() for value in values]
