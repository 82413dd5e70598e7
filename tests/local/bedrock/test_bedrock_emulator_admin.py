"""The admin endpoints refuse what a web page can send; the model endpoints do not."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from bedrock_stream.local.bedrock import BedrockEmulator

RULE = json.dumps({"fault": "throttling"}).encode()
JSON = {"Content-Type": "application/json"}


def _call(
    emulator: BedrockEmulator,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, Any]:
    connection = http.client.HTTPConnection(emulator.host, emulator.port, timeout=5)
    try:
        connection.request(method, path, body, headers or {})
        response = connection.getresponse()
        content_type = response.getheader("Content-Type", "")
        return response.status, content_type, json.loads(response.read())
    finally:
        connection.close()


BROWSER = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "same-origin"},
]


@pytest.mark.parametrize("browser", BROWSER, ids=lambda h: "=".join(*h.items()))
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_emulator/faults", RULE),
        ("DELETE", "/_emulator/faults", None),
        ("GET", "/_emulator/requests", None),
    ],
    ids=["add-rule", "clear-rules", "list-requests"],
)
def test_browser_requests_are_refused(
    emulator: BedrockEmulator, browser: dict[str, str], method: str, path: str, body: bytes | None
) -> None:
    emulator.faults.add("access-denied")
    status, content_type, document = _call(emulator, method, path, body, {**JSON, **browser})
    assert (status, content_type) == (403, "application/json")
    assert "browser" in document["message"]
    assert len(emulator.faults.rules) == 1  # nothing added, nothing cleared


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_rule_must_be_posted_as_json(emulator: BedrockEmulator, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    status, answer_type, document = _call(emulator, "POST", "/_emulator/faults", RULE, headers)
    assert (status, answer_type) == (415, "application/json")
    assert "application/json" in document["message"]
    assert emulator.faults.rules == []


@pytest.mark.parametrize(
    "headers",
    [JSON, {"Content-Type": "Application/JSON; charset=utf-8"}, {**JSON, "Sec-Fetch-Site": "none"}],
)
def test_a_json_rule_from_a_program_is_added(
    emulator: BedrockEmulator, headers: dict[str, str]
) -> None:
    assert _call(emulator, "POST", "/_emulator/faults", RULE, headers) == (
        200,
        "application/json",
        {"rules": 1},
    )
    assert _call(emulator, "DELETE", "/_emulator/faults") == (200, "application/json", {"rules": 0})


def test_a_rule_nested_too_deep_is_a_bad_rule(emulator: BedrockEmulator) -> None:
    status, _, document = _call(emulator, "POST", "/_emulator/faults", b"[" * 60_000, JSON)
    assert status == 400 and document["message"].startswith("bad fault rule")


def test_the_model_endpoints_still_answer_browser_requests(emulator: BedrockEmulator) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}).encode()
    headers = {"Origin": "https://page.example", "Sec-Fetch-Site": "cross-site"}
    headers["Content-Type"] = "text/plain"
    headers["Authorization"] = "Bearer local-key"  # a page calls Bedrock with an API key
    status, _, document = _call(
        emulator, "POST", "/model/amazon.nova-micro-v1%3A0/converse", body, headers
    )
    assert status == 200 and document["output"]["message"]["content"][0]["text"]
