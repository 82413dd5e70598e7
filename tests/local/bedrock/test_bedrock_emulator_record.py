"""The emulator's request record stays bounded: by count, and by the bytes of bodies it keeps."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from bedrock_stream.local.bedrock import BedrockEmulator

BUDGET = 1_000_000
INVOKE = "/model/amazon.nova-micro-v1%3A0/invoke"


@pytest.fixture
def small() -> Iterator[BedrockEmulator]:
    with BedrockEmulator(speed=0, keep_body_bytes=BUDGET, keep_requests=6) as emulator:
        yield emulator


def _post(emulator: BedrockEmulator, n: int, size: int) -> int:
    """Send an (invalid, so rejected) invoke body of about ``size`` bytes tagged ``n``."""
    body = json.dumps({"n": n, "junk": "a" * size}).encode()
    connection = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        headers = {"Content-Type": "application/json", "Authorization": "Bearer local-key"}
        connection.request("POST", INVOKE, body, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _kept_bytes(emulator: BedrockEmulator) -> int:
    return sum(r.body_size or 0 for r in emulator.requests if r.body is not None)


def test_kept_bodies_stay_within_the_byte_budget_newest_first(small: BedrockEmulator) -> None:
    for n in range(5):
        assert _post(small, n, 300_000) == 400  # rejected requests are recorded too
        assert _kept_bytes(small) <= BUDGET
    records = small.requests
    assert [r.body["n"] for r in records if r.body is not None] == [2, 3, 4]
    assert [r.body_dropped for r in records] == [True, True, False, False, False]
    assert all(r.body_size is not None and r.body_size > 300_000 for r in records)
    assert [r.status for r in records] == [400] * 5  # what was answered is kept


def test_a_body_over_the_whole_budget_is_not_kept_and_evicts_nothing(
    small: BedrockEmulator,
) -> None:
    _post(small, 0, 100)
    _post(small, 1, BUDGET)
    first, big = small.requests
    assert first.body == {"n": 0, "junk": "a" * 100}
    assert (big.body, big.body_dropped) == (None, True)
    assert big.body_size is not None and big.body_size > BUDGET
    assert big.status == 400


def test_the_count_cap_still_holds(small: BedrockEmulator) -> None:
    for n in range(8):
        _post(small, n, 10)
    assert [r.body["n"] for r in small.requests] == [2, 3, 4, 5, 6, 7]


def test_cleared_records_leave_the_budget_to_new_ones(small: BedrockEmulator) -> None:
    for n in range(3):
        _post(small, n, 300_000)
    small.requests.clear()
    for n in range(3, 6):
        _post(small, n, 300_000)
        assert _kept_bytes(small) <= BUDGET
    assert [r.body["n"] for r in small.requests if r.body is not None] == [3, 4, 5]
