"""Authorization on the local stack, as API Gateway enforces it, with real peers.

The template (``auth_app/``) declares its authorizers with SAM's ``Auth`` property, translated
by SAM itself; the authorizer functions are written with Powertools' event classes and run as
local Lambda processes; IAM requests are signed by botocore and by curl's ``--aws-sigv4``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from stack_calls import sigv4_headers

from bedrock_stream.local.stack import IAM_CREDENTIALS, LocalStack
from bedrock_stream.local.template import TemplateError

APP = Path(__file__).parent / "auth_app" / "template.yaml"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(APP, port=0, speed=0, bedrock="local") as running:
        yield running


def _call(
    url: str, method: str = "GET", body: bytes = b"", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _base(stack: LocalStack, api: str) -> str:
    """``http://host:port/{stage}`` of ``api``."""
    server = next(e for e in stack.endpoints if e.kind == "rest-api" and e.name == api)
    netloc = urlsplit(server.url).netloc
    return f"http://{netloc}/{stack.template.apis[api].stage}"


# -- TOKEN authorizer ------------------------------------------------------------------------


def test_an_allowing_token_reaches_the_function_with_principal_and_context(
    stack: LocalStack,
) -> None:
    status, _, body = _call(_base(stack, "TokenApi") + "/echo", Authorization="allow")
    assert status == 200
    seen = json.loads(body)
    authorizer = seen["authorizer"]
    assert authorizer["principalId"] == "ada"
    # Context values reach a payload 1.0 integration as strings, as on AWS.
    assert (authorizer["user"], authorizer["admin"], authorizer["method"]) == (
        "ada",
        "true",
        "GET",
    )
    assert authorizer["calls"].isdigit()
    assert isinstance(authorizer["integrationLatency"], int)


@pytest.mark.parametrize(
    ("token", "status", "body", "error_type"),
    [
        (None, 401, {"message": "Unauthorized"}, "UnauthorizedException"),
        ("NOT-VALID", 401, {"message": "Unauthorized"}, "UnauthorizedException"),  # regex
        ("nope", 401, {"message": "Unauthorized"}, "UnauthorizedException"),
        (
            "deny",
            403,
            {"Message": "User is not authorized to access this resource with an explicit deny"},
            "AccessDeniedException",
        ),
        (
            "elsewhere",
            403,
            {"Message": "User is not authorized to access this resource"},
            "AccessDeniedException",
        ),
        ("boom", 500, {"message": None}, "AuthorizerConfigurationException"),
        ("broken", 500, {"message": None}, "AuthorizerConfigurationException"),
        ("nested", 500, {"message": None}, "AuthorizerConfigurationException"),
    ],
)
def test_every_refusal_is_api_gateways_answer_and_the_function_never_runs(
    stack: LocalStack, token: str | None, status: int, body: dict[str, Any], error_type: str
) -> None:
    headers = {} if token is None else {"Authorization": token}
    got, response_headers, answer = _call(_base(stack, "TokenApi") + "/echo", **headers)
    assert (got, json.loads(answer)) == (status, body)
    assert response_headers["x-amzn-errortype"] == error_type


def test_a_cached_result_is_reused_and_its_policy_judged_per_route(stack: LocalStack) -> None:
    base = _base(stack, "TokenApi")
    first = json.loads(_call(base + "/echo", Authorization="allow")[2])["authorizer"]
    again = json.loads(_call(base + "/other/7", Authorization="allow")[2])["authorizer"]
    assert again["calls"] == first["calls"], "the cached result (TTL 300 s) was reused"
    # A policy for one method ARN, once cached, refuses the next route: AWS's own pitfall.
    assert _call(base + "/echo", Authorization="narrow")[0] == 200
    status, _, body = _call(base + "/other/7", Authorization="narrow")
    assert (status, json.loads(body)) == (
        403,
        {"Message": "User is not authorized to access this resource"},
    )


# -- REQUEST authorizer, keys from the authorizer ---------------------------------------------


def test_a_request_authorizer_hands_out_the_usage_plan_key(stack: LocalStack) -> None:
    key = stack.api_keys["RequestApiApiKey"]
    base = _base(stack, "RequestApi")
    status, _, body = _call(f"{base}/echo?key={key}", **{"X-Tenant": "acme"})
    assert status == 200
    seen = json.loads(body)
    assert seen["authorizer"]["principalId"] == "tenant-acme"
    assert seen["identity"]["apiKey"] == key and seen["identity"]["apiKeyId"]


def test_request_authorizer_refusals(stack: LocalStack) -> None:
    key = stack.api_keys["RequestApiApiKey"]
    base = _base(stack, "RequestApi")
    # An identity source missing: 401 without calling the authorizer.
    assert _call(f"{base}/echo", **{"X-Tenant": "acme"})[0] == 401
    # The authorizer refuses the tenant.
    assert _call(f"{base}/echo?key={key}", **{"X-Tenant": "other"})[0] == 401
    # The authorizer allows, but the key it returns is in no usage plan of this stage.
    status, _, body = _call(f"{base}/echo?key=not-a-key", **{"X-Tenant": "acme"})
    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})


# -- API keys from x-api-key, usage plans ------------------------------------------------------


def test_api_keys_are_checked_and_the_plans_throttle_applies() -> None:
    # Its own stack: the plan's bucket (burst 2, no refill) is spent by this test alone.
    with LocalStack(APP, port=0, speed=0, api_keys={"KeyApiApiKey": "k" * 40}) as stack:
        url = _base(stack, "KeyApi") + "/echo"
        for key in (None, "wrong" * 8, stack.api_keys["RequestApiApiKey"]):
            headers = {} if key is None else {"x-api-key": key}
            status, response_headers, body = _call(url, "POST", **headers)
            assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
            assert response_headers["x-amzn-errortype"] == "ForbiddenException"
        statuses = [_call(url, "POST", **{"X-API-Key": "k" * 40})[0] for _ in range(3)]
        assert statuses == [200, 200, 429]
        status, response_headers, body = _call(url, "POST", **{"x-api-key": "k" * 40})
        assert (status, json.loads(body)) == (429, {"message": "Too Many Requests"})


def test_the_quota_counts_admitted_requests_only() -> None:
    with LocalStack(APP, port=0, speed=0) as stack:
        key = stack.api_keys["RequestApiApiKey"]
        url = f"{_base(stack, 'RequestApi')}/echo?key={key}"
        assert _call(url)[0] == 401  # refused before the plan: not counted
        statuses = [_call(url, **{"X-Tenant": "acme"})[0] for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        status, response_headers, body = _call(url, **{"X-Tenant": "acme"})
        assert (status, json.loads(body)) == (429, {"message": "Limit Exceeded"})
        assert response_headers["x-amzn-errortype"] == "LimitExceededException"


# -- IAM -----------------------------------------------------------------------------------------


def _botocore_signed(url: str, body: bytes, secret: str | None = None) -> dict[str, str]:
    json_body = {"Content-Type": "application/json"}
    return sigv4_headers(url, body, "execute-api", secret=secret, headers=json_body)


def test_iam_routes_take_botocore_signed_requests(stack: LocalStack) -> None:
    url = _base(stack, "IamApi") + "/echo"
    body = b'{"message": "hi"}'
    status, _, answer = _call(url, "POST", body, **_botocore_signed(url, body))
    assert status == 200
    identity = json.loads(answer)["identity"]
    assert identity["accessKey"] == IAM_CREDENTIALS[0]


def test_iam_refusals_are_api_gateways_answers(stack: LocalStack) -> None:
    url = _base(stack, "IamApi") + "/echo"
    body = b'{"message": "hi"}'
    status, headers, answer = _call(url, "POST", body)
    assert (status, json.loads(answer)) == (403, {"message": "Missing Authentication Token"})
    status, headers, answer = _call(url, "POST", body, **_botocore_signed(url, body, "wrong"))
    assert status == 403 and headers["x-amzn-errortype"] == "InvalidSignatureException"
    assert json.loads(answer)["message"].startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    signed = _botocore_signed(url, body)
    status, _, answer = _call(url, "POST", b'{"message": "tampered"}', **signed)
    assert status == 403 and "does not match" in json.loads(answer)["message"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_banners_curl_line_signs_with_aws_sigv4(stack: LocalStack) -> None:
    endpoint = next(e for e in stack.endpoints if e.kind == "rest-api" and e.name == "IamApi")
    assert any(option.startswith("--aws-sigv4") for option in endpoint.credentials)
    line = endpoint.curl("signed by curl")
    done = subprocess.run(
        ["sh", "-c", line + " -s -w '\\n%{http_code}'"], capture_output=True, text=True, timeout=60
    )
    *answer, status = done.stdout.splitlines()
    assert status == "200", done.stdout + done.stderr
    assert json.loads("\n".join(answer))["identity"]["accessKey"] == IAM_CREDENTIALS[0]


# -- what cannot be emulated is refused ---------------------------------------------------------


def test_a_cognito_authorizer_is_refused_at_start_up(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        APP.read_text().replace(
            "        DefaultAuthorizer: AWS_IAM\n",
            "        DefaultAuthorizer: Pool\n"
            "        Authorizers:\n"
            "          Pool:\n"
            "            UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/x\n",
        )
    )
    shutil.copytree(APP.parent / "src", tmp_path / "src")
    with pytest.raises(
        TemplateError, match="Cognito user pool authorizer cannot be checked offline"
    ):
        LocalStack(template, port=0)
