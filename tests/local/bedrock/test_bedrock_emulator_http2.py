"""The Bedrock emulator over HTTP/2 (h2c), with h2 itself as the client: faults and resets."""

from __future__ import annotations

import json
import time

from bedrock_stream.local.bedrock import FAULT_HEADER, BedrockEmulator
from h2_peer import H2Client

NOVA = "us.amazon.nova-pro-v1:0"
INTERNAL_ERROR = 2


def converse_stream(client: H2Client, fault: str | None = None) -> int:
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "Hello there"}]}]})
    headers = [("content-type", "application/json"), ("authorization", "Bearer local-key")]
    if fault is not None:
        headers.append((FAULT_HEADER.lower(), fault))
    return client.request("POST", f"/model/{NOVA}/converse-stream", headers, body.encode())


def event_types(data: bytes) -> list[str]:
    """The event types of an event stream's whole frames (botocore decodes them)."""
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return [str(message.headers[":event-type"]) for message in buffer]


def test_converse_stream_over_http2(emulator: BedrockEmulator) -> None:
    with H2Client(emulator.host, emulator.port) as client:
        response = client.response(converse_stream(client))
    assert response.status == 200 and response.ended
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    types = event_types(bytes(response.data))
    assert types[0] == "messageStart" and types[-1] == "metadata"
    record = emulator.requests[-1]
    assert record.outcome == "ok" and record.http_version == "2"


def test_a_disconnect_fault_resets_the_stream(emulator: BedrockEmulator) -> None:
    with H2Client(emulator.host, emulator.port) as client:
        response = client.response(converse_stream(client, "disconnect; after=3"))
        assert response.reset == INTERNAL_ERROR and not response.ended
        assert "metadata" not in event_types(bytes(response.data))
        assert client.response(converse_stream(client)).ended  # the connection goes on
    assert emulator.requests[-2].outcome == "disconnected"


def test_a_stall_ends_when_the_client_resets_the_stream(emulator: BedrockEmulator) -> None:
    with H2Client(emulator.host, emulator.port) as client:
        stream_id = converse_stream(client, "stall; after=2")
        client.until(lambda: len(client.responses[stream_id].data) > 0)
        time.sleep(0.1)
        client.reset(stream_id)
        deadline = time.monotonic() + 5
        while emulator.requests[-1].outcome != "stalled" and time.monotonic() < deadline:
            time.sleep(0.02)
    record = emulator.requests[-1]
    assert record.outcome == "stalled"
