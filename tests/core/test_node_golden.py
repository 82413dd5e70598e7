"""Golden: our HTTP integration bytes against AWS's Node.js runtime client.

The captures in tests/data/conformance/node-*.json hold what `aws-lambda-ric` 4.0.2
posted for the scenarios of node_scenarios.mjs. For the same metadata and body, our
handler must produce the same delimiter and body bytes, and a prelude equal as parsed
JSON (key order and empty objects may differ). h11 de-chunks the captured wire bytes,
an independent parser.

Deliberate differences, each asserted below:
- empty-no-write: Node sends no prelude when nothing is written, which makes API Gateway
  and function URLs fail; we always send one.
- error-before-first-byte: Node sends an empty body and error trailers, which API Gateway
  reports as a broken response; we send a 500 prelude with a JSON body.
- Content-Type: we always state one (Node's 204 scenario has no headers at all).
- SSE: we add `Cache-Control: no-cache` to text/event-stream responses.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h11
import pytest

from bedrock_stream import StreamingResponse, streaming_handler
from bedrock_stream.http_integration import CONTENT_TYPE, DELIMITER
from bedrock_stream.testing import invoke_streaming

CAPTURES = Path(__file__).parents[1] / "data" / "conformance"
REST_EVENT = {"httpMethod": "POST", "requestContext": {}, "headers": {}}


def captured(scenario: str) -> tuple[dict[str, str], bytes, dict[str, str]]:
    """Parse the captured streaming POST with h11: (headers, de-chunked body, trailers)."""
    record = json.loads((CAPTURES / f"node-{scenario}.json").read_text())["requests"][-1]
    wire = (
        record["request_head"].encode() + b"\r\n\r\n" + base64.b64decode(record["body_wire_base64"])
    )
    server = h11.Connection(h11.SERVER)
    server.receive_data(wire)
    server.receive_data(b"")
    headers: dict[str, str] = {}
    body = b""
    trailers: dict[str, str] = {}
    while True:
        event = server.next_event()
        if isinstance(event, h11.Request):
            headers = {k.decode().lower(): v.decode() for k, v in event.headers}
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            trailers = {k.decode().lower(): v.decode() for k, v in event.headers}
            break
    return headers, body, trailers


def split_prelude(data: bytes) -> tuple[dict[str, Any], bytes]:
    metadata, _, body = data.partition(DELIMITER)
    return json.loads(metadata), body


def ours(handler: Any) -> bytes:
    result = invoke_streaming(handler, REST_EVENT)
    assert result.content_type == CONTENT_TYPE
    assert result.writes, "something was written"
    return b"".join(b"".join(w.chunks) for w in result.writes)


def test_text() -> None:
    @streaming_handler(content_type="text/plain; charset=utf-8")
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "Hello, "
        yield "world"

    headers, node, _ = captured("text")
    assert headers["content-type"] == CONTENT_TYPE
    mine = ours(handler)
    assert split_prelude(mine) == split_prelude(node)
    assert mine[mine.index(DELIMITER) :] == node[node.index(DELIMITER) :]


def test_metadata_unicode_quotes_multi_value_cookies_binary() -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        def body() -> Iterator[bytes | str]:
            yield "data: über 😀\n\n"
            yield bytes([0, 1, 2, 255])

        return StreamingResponse(
            body=body(),
            status_code=201,
            content_type="text/event-stream",
            headers={"X-Note": 'café "q"', "X-Multi": ["a", "b"]},
            cookies=["c1=blue; Path=/", "c2=red"],
        )

    _, node, _ = captured("metadata")
    mine = ours(handler)
    my_metadata, my_body = split_prelude(mine)
    assert my_metadata["headers"].pop("Cache-Control") == "no-cache"  # deliberate: SSE
    assert (my_metadata, my_body) == split_prelude(node)
    assert mine[mine.index(DELIMITER) :] == node[node.index(DELIMITER) :]


def test_empty_body_with_prelude() -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> StreamingResponse:
        return StreamingResponse(body=[""], status_code=204)

    _, node, _ = captured("empty-with-prelude")
    my_metadata, my_body = split_prelude(ours(handler))
    assert my_metadata["headers"].pop("Content-Type")  # deliberate: always a content type
    assert (
        (my_metadata, my_body) == split_prelude(node) == ({"statusCode": 204, "headers": {}}, b"")
    )


def test_empty_body_without_a_write_still_gets_a_prelude() -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield from ()

    _, node, _ = captured("empty-no-write")
    assert node == b"", "Node's bug: no prelude at all"
    mine = ours(handler)
    assert mine.endswith(DELIMITER)
    assert split_prelude(mine)[0]["statusCode"] == 200


def test_error_mid_stream_keeps_the_partial_body() -> None:
    class ModelStreamError(Exception):
        pass

    @streaming_handler(content_type="text/plain")
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "partial "
        raise ModelStreamError("model stream failed")

    _, node, trailers = captured("error-mid-stream")
    assert trailers["lambda-runtime-function-error-type"] == "ModelStreamError"
    result = invoke_streaming(handler, REST_EVENT)
    assert isinstance(result.error, ModelStreamError)
    mine = b"".join(b"".join(w.chunks) for w in result.writes)
    assert split_prelude(mine) == split_prelude(node)


def test_error_before_first_byte_becomes_a_500_response() -> None:
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        raise TypeError("bad input")
        yield ""

    _, node, trailers = captured("error-before-first-byte")
    assert node == b"" and trailers["lambda-runtime-function-error-type"] == "TypeError"
    metadata, body = split_prelude(ours(handler))
    assert metadata["statusCode"] == 500
    assert json.loads(body)["message"] == "Internal server error"
    assert b"bad input" not in body


def test_raw_stream_has_no_prelude_and_its_own_content_type() -> None:
    @streaming_handler(format="ndjson")
    def handler(event: Any, context: Any) -> Iterator[dict[str, int]]:
        yield {"a": 1}
        yield {"b": 2}

    headers, node, _ = captured("raw-no-prelude")
    result = invoke_streaming(handler, {"scenario": "raw-no-prelude"})
    assert result.content_type == headers["content-type"] == "application/x-ndjson"
    assert result.prelude is None
    assert result.body == node


@pytest.mark.parametrize("size", [100_000])
def test_large_single_chunk(size: int) -> None:
    @streaming_handler(content_type="application/octet-stream")
    def handler(event: Any, context: Any) -> Iterator[bytes]:
        yield b"a" * size

    _, node, _ = captured("large")
    mine = ours(handler)
    assert split_prelude(mine) == split_prelude(node)
    assert mine[mine.index(DELIMITER) :] == node[node.index(DELIMITER) :]
