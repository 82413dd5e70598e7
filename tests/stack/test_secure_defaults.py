"""The reference app as it ships, on the local stack: closed to strangers, bounded in spend.

Client -> API Gateway (the template's authorizer, API key and usage plan, enforced locally)
-> the app's functions -> the Bedrock emulator. Each test starts from the template's own
defaults and changes only the parameter it is about.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bedrock_stream.local.bedrock.faults import Stall
from bedrock_stream.local.stack import IAM_CREDENTIALS, LocalStack
from waiting import wait_for_log

TEMPLATE = Path(__file__).parents[2] / "examples" / "sam-app" / "template.yaml"
APIS = ("StreamingApi", "NonStreamingApi")

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")


@contextlib.contextmanager
def _stack(**parameters: str) -> Iterator[LocalStack]:
    with LocalStack(TEMPLATE, port=0, speed=0, parameters=parameters) as stack:
        yield stack


@pytest.fixture(scope="module")
def shipped() -> Iterator[LocalStack]:
    """The template with every default but the key's throttle (this module's tests share the
    key, and the default 1 request/s would make them depend on their pace)."""
    with _stack(KeyRateLimit="1000", KeyBurstLimit="1000") as stack:
        yield stack


def _ask(
    url: str,
    message: str = "Who may ask?",
    *,
    content_type: str = "application/json",
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    body = json.dumps({"message": message}).encode()
    try:
        connection.request(
            "POST", parts.path, body=body, headers={"Content-Type": content_type, **headers}
        )
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _asked(stack: LocalStack, message: str) -> list[Any]:
    return [r for r in stack.bedrock.requests if message in json.dumps(r.body)]


def test_strangers_get_401_and_wrong_keys_403_and_bedrock_is_never_called(
    shipped: LocalStack,
) -> None:
    for api in APIS:
        url = shipped.endpoint(api).url
        status, _, body = _ask(url, "no key at all")
        assert (status, json.loads(body)) == (401, {"message": "Unauthorized"})
        for headers in ({"x-api-key": "x" * 40}, {"Authorization": "Bearer " + "x" * 40}):
            status, _, body = _ask(url, "a wrong key", **headers)
            assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
        status, _, _ = _ask(url, "not a bearer", Authorization="Basic " + "x" * 40)
        assert status == 401
    assert not _asked(shipped, "no key at all") and not _asked(shipped, "a wrong key")


@pytest.mark.parametrize("how", ["x-api-key", "bearer"])
def test_the_key_works_in_either_header_on_both_apis(shipped: LocalStack, how: str) -> None:
    key = shipped.api_keys["ApiKey"]
    headers = {"x-api-key": key} if how == "x-api-key" else {"Authorization": f"Bearer {key}"}
    for api in APIS:
        prompt = f"asked with {how} on {api}"
        status, _, body = _ask(shipped.endpoint(api).url, prompt, **headers)
        assert status == 200
        assert body == _asked(shipped, prompt)[-1].text.encode()


def test_a_cross_site_simple_request_is_refused(shipped: LocalStack) -> None:
    key = shipped.api_keys["ApiKey"]
    status, _, body = _ask(
        shipped.endpoint("StreamingApi").url,
        "simple",
        content_type="text/plain",
        **{"x-api-key": key},
    )
    assert status == 415 and "application/json" in json.loads(body)["message"]
    assert not _asked(shipped, "simple")


def test_no_origin_is_allowed_as_shipped(shipped: LocalStack) -> None:
    key = shipped.api_keys["ApiKey"]
    for api in APIS:
        url = shipped.endpoint(api).url
        _, headers, _ = _ask(
            url, "any origin?", Origin="https://evil.example", **{"x-api-key": key}
        )
        assert "access-control-allow-origin" not in headers
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=30)
        try:
            connection.request("OPTIONS", parts.path, headers={"Origin": "https://evil.example"})
            response = connection.getresponse()
            response.read()
        finally:
            connection.close()
        assert response.status == 403  # no preflight route: API Gateway's own 403
        assert response.getheader("Access-Control-Allow-Origin") is None


def test_the_usage_plan_throttles_each_key() -> None:
    # KeyRateLimit=0: the bucket never refills, so exactly the burst (4) gets through.
    with _stack(KeyRateLimit="0") as stack:
        key = stack.api_keys["ApiKey"]
        statuses = [
            _ask(stack.endpoint(APIS[i % 2]).url, f"throttle {i}", **{"x-api-key": key})[0]
            for i in range(6)
        ]
        assert statuses == [200, 200, 200, 200, 429, 429]
        status, _, body = _ask(stack.endpoint("StreamingApi").url, **{"x-api-key": key})
        assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})
        assert not _asked(stack, "throttle 4")


def test_the_daily_quota_counts_both_apis_together() -> None:
    # The key's throttle is lifted: five requests inside a second would otherwise meet the
    # burst of 4 before the quota, and which 429 answers would depend on the suite's pace.
    with _stack(QuotaPerDay="3", KeyRateLimit="1000", KeyBurstLimit="1000") as stack:
        key = stack.api_keys["ApiKey"]
        urls = [stack.endpoint(api).url for api in ("StreamingApi", "NonStreamingApi") * 2]
        statuses = [_ask(url, f"quota {i}", **{"x-api-key": key})[0] for i, url in enumerate(urls)]
        assert statuses == [200, 200, 200, 429]
        status, _, body = _ask(urls[1], **{"x-api-key": key})
        assert (status, json.loads(body)) == (429, {"message": "Limit Exceeded"})


def test_a_runaway_stream_ends_at_the_deadline_guard_after_its_client_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Lambda gives a function no signal when its client leaves: what ends the stream is the
    # guard, 5 s before StreamingTimeout, not Lambda killing the sandbox at the timeout.
    caplog.set_level(logging.INFO)
    with _stack(StreamingTimeout="10") as stack:
        stack.bedrock.faults.add(Stall(after_tokens=3, seconds=6), prompt="run away")
        parts = urlsplit(stack.endpoint("StreamingApi").url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=60)
        headers = {"Content-Type": "application/json", "x-api-key": stack.api_keys["ApiKey"]}
        connection.request("POST", parts.path, body=b'{"message": "run away"}', headers=headers)
        response = connection.getresponse()
        assert response.status == 200 and response.read1(64)
        connection.close()  # the client leaves mid-stream
        wait_for_log(caplog, "client gone", "finished after its client went away: failure")
        # The function's own log line comes through another thread: in any order.
        wait_for_log(caplog, "Function.DeadlineGuard")
        assert "Sandbox.Timedout" not in caplog.text, "ended by the guard, not killed"


def test_iam_mode_takes_sigv4_signed_requests_only() -> None:
    with _stack(Authentication="IAM") as stack:
        url = stack.endpoint("StreamingApi").url
        status, _, body = _ask(url, "unsigned")
        assert (status, json.loads(body)) == (403, {"message": "Missing Authentication Token"})
        if shutil.which("curl") is not None:
            line = stack.endpoint("StreamingApi").curl("signed by curl")
            assert "--aws-sigv4" in line
            done = subprocess.run(
                ["sh", "-c", line + " -s -w '\\n%{http_code}'"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert done.stdout.rsplit("\n", 1)[1] == "200", done.stdout + done.stderr
            assert done.stdout.rsplit("\n", 1)[0] == _asked(stack, "signed by curl")[-1].text
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        body = json.dumps({"message": "signed by botocore"}).encode()
        request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(Credentials(*IAM_CREDENTIALS), "execute-api", "us-east-1").add_auth(request)
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.netloc, timeout=60)
        try:
            connection.request("POST", parts.path, body=body, headers=dict(request.headers.items()))
            response = connection.getresponse()
            assert response.status == 200
            assert response.read() == _asked(stack, "signed by botocore")[-1].text.encode()
        finally:
            connection.close()


def test_opening_the_api_is_an_explicit_choice() -> None:
    with _stack(Authentication="NONE") as stack:
        assert stack.api_keys == {}
        for api in APIS:
            status, _, body = _ask(stack.endpoint(api).url, f"anyone on {api}")
            assert status == 200 and body == _asked(stack, f"anyone on {api}")[-1].text.encode()
