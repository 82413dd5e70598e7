"""The front doors' events, field by field, against AWS's and SAM's.

Every field of the REST API proxy event (payload format 1.0) and of the function URL event
(payload format 2.0) is compared with the events the AWS SAM CLI generates
(``tests/data/events/sam``) and with the fields of AWS's documented example events. A field
AWS sends that the emulator leaves out, or sends differently, is listed in ``DIFFERENCES``
with the reason. The events also validate against Powertools' event models.

AWS's documented examples:

- REST: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
  ("Input format of a Lambda function for proxy integration")
- function URL: https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
  ("Request payload format"); its headers as a real function URL sends them, in the example
  of Powertools' ``LambdaFunctionUrlSchema``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.local.deployment import RestApi, Route
from bedrock_stream.local.function_url import url_event
from bedrock_stream.local.messages import Request
from bedrock_stream.local.rest_api import Router, proxy_event

SAM = Path(__file__).parents[1] / "data" / "events" / "sam"

MAPS = {
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "requestContext.authorizer",
}
"""Maps whose keys are the request's own data, not fields of the format."""

AWS_REST = {
    *("resource", "path", "httpMethod", "body", "isBase64Encoded"),
    *("headers", "multiValueHeaders", "queryStringParameters"),
    *("multiValueQueryStringParameters", "pathParameters", "stageVariables"),
    *(
        f"requestContext.{name}"
        for name in (
            "accountId",
            "apiId",
            "domainName",
            "domainPrefix",
            "extendedRequestId",
            "httpMethod",
            "path",
            "protocol",
            "requestId",
            "requestTime",
            "requestTimeEpoch",
            "resourceId",
            "resourcePath",
            "stage",
            "identity",
        )
    ),
    *(
        f"requestContext.identity.{name}"
        for name in (
            "accessKey",
            "accountId",
            "caller",
            "cognitoAuthenticationProvider",
            "cognitoAuthenticationType",
            "cognitoIdentityId",
            "cognitoIdentityPoolId",
            "principalOrgId",
            "sourceIp",
            "user",
            "userAgent",
            "userArn",
        )
    ),
}
"""The fields of AWS's documented REST example (``authorizer`` and ``clientCert`` aside)."""

AWS_URL = {
    *("version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers"),
    *("queryStringParameters", "body", "isBase64Encoded"),
    *(
        f"requestContext.{name}"
        for name in (
            "accountId",
            "apiId",
            "domainName",
            "domainPrefix",
            "http",
            "http.method",
            "http.path",
            "http.protocol",
            "http.sourceIp",
            "http.userAgent",
            "requestId",
            "routeKey",
            "stage",
            "time",
            "timeEpoch",
        )
    ),
}
"""The fields of AWS's documented function URL example (``authorizer`` aside)."""

REST_HEADERS = {"X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id"}
"""Headers API Gateway adds to every request (SAM's event and AWS's example have them)."""
URL_HEADERS = {name.lower() for name in REST_HEADERS}
"""The same, as a function URL adds them (Powertools' captured example has them)."""

DIFFERENCES = {
    "rest": {
        "requestContext.authorizer": "only with an authorizer or IAM; the access tests check it",
        "requestContext.identity.clientCert": "mutual TLS: the local stack serves plain HTTP",
        "requestContext.identity.apiKey": "only on a route that requires an API key",
        "requestContext.identity.apiKeyId": "only on a route that requires an API key",
        "requestContext.deploymentId": "in some captures, not in AWS's example or SAM's",
        "headers.CloudFront-*, Via, X-Amz-Cf-Id": "edge-optimized endpoints only (CloudFront)",
        "headers.X-Forwarded-Proto": "'http': the local stack is plain HTTP (AWS: 'https')",
        "headers.X-Forwarded-Port": "the local port (AWS: 443)",
    },
    "url": {
        "requestContext.authentication": "mutual TLS: HTTP APIs only",
        "requestContext.authorizer": "only on an AWS_IAM URL (iam); jwt is HTTP APIs only",
        "pathParameters": "HTTP API routes only (SAM's event is an HTTP API's)",
        "stageVariables": "HTTP API stages only (SAM's event is an HTTP API's)",
        "requestContext.accountId": "'anonymous' for an AuthType NONE URL, as AWS sends",
        "headers.x-amzn-tls-*": "TLS: the local stack is plain HTTP",
    },
}
"""Deliberate differences from AWS's events, with the reason for each."""


def paths(event: dict[str, Any], prefix: str = "") -> set[str]:
    """The dotted field paths of ``event``, not descending into :data:`MAPS`."""
    found = set()
    for key, value in event.items():
        path = f"{prefix}{key}"
        found.add(path)
        if isinstance(value, dict) and path not in MAPS:
            found |= paths(value, f"{path}.")
    return found


def undeclared(missing: set[str], kind: str) -> set[str]:
    """The fields of ``missing`` that no entry of :data:`DIFFERENCES` (or its parent) names."""
    declared = DIFFERENCES[kind]
    return {p for p in missing if not any(p == d or p.startswith(f"{d}.") for d in declared)}


def sam_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SAM / f"{name}.json").read_text())
    return event


def request(headers: tuple[tuple[str, str], ...]) -> Request:
    return Request(
        "POST",
        "/prod/path/to/resource?foo=bar",
        headers,
        b'{"test":"body"}',
        "192.0.2.10",
    )


def rest_event(host: str = "127.0.0.1:3000") -> dict[str, Any]:
    api = RestApi("Api", "prod", (Route("POST", "/{proxy+}", "Fn"),))
    headers = (("Host", host), ("User-Agent", "curl/8"), ("Content-Type", "text/plain"))
    match = Router([api]).match("POST", "/prod/path/to/resource?foo=bar")
    assert match is not None
    return proxy_event(request(headers), match, trace_id="Root=1-5759e988-bd862e3fe1be46a994272793")


def function_url_event() -> dict[str, Any]:
    headers = (("Host", "127.0.0.1:3001"), ("User-Agent", "curl/8"), ("Cookie", "a=1"))
    return url_event(request(headers), trace_id="Root=1-5759e988-bd862e3fe1be46a994272793")


def test_the_rest_event_has_every_field_of_sams_and_awss_examples() -> None:
    ours = paths(rest_event())
    theirs = paths(sam_event("apigateway-aws-proxy")) | AWS_REST
    assert undeclared(theirs - ours, "rest") == set()
    assert ours - theirs == set()  # nothing AWS does not send


def test_the_rest_event_has_the_headers_api_gateway_adds() -> None:
    event = rest_event()
    assert REST_HEADERS <= set(event["headers"]) <= set(event["multiValueHeaders"])
    sam_headers = set(sam_event("apigateway-aws-proxy")["headers"])
    assert (REST_HEADERS - {"X-Amzn-Trace-Id"}).issubset(sam_headers)  # SAM's has no trace
    headers = event["headers"]
    assert headers["X-Forwarded-For"] == "192.0.2.10"
    assert (headers["X-Forwarded-Port"], headers["X-Forwarded-Proto"]) == ("3000", "http")
    assert headers["X-Amzn-Trace-Id"] == "Root=1-5759e988-bd862e3fe1be46a994272793"
    assert event["multiValueHeaders"]["X-Forwarded-For"] == ["192.0.2.10"]


def test_the_rest_event_identity_is_null_where_aws_sends_null() -> None:
    identity = rest_event()["requestContext"]["identity"]
    sam_identity = sam_event("apigateway-aws-proxy")["requestContext"]["identity"]
    for name, value in sam_identity.items():
        if value is None:
            assert name in identity and identity[name] is None, name
    assert rest_event()["requestContext"]["domainPrefix"] == "127"


@pytest.mark.parametrize(
    ("host", "prefix"),
    [
        ("localhost:3000", "localhost"),
        ("abc.example:8080", "abc"),
        ("[::1]:3000", "::1"),
        ("[", ""),
    ],
)
def test_the_domain_prefix_is_the_hosts_first_label_without_its_port(
    host: str, prefix: str
) -> None:
    assert rest_event(host)["requestContext"]["domainPrefix"] == prefix


def test_a_forwarded_for_from_the_client_gets_the_client_address_appended() -> None:
    api = RestApi("Api", "prod", (Route("POST", "/{proxy+}", "Fn"),))
    match = Router([api]).match("POST", "/prod/x")
    assert match is not None
    headers = (("Host", "localhost"), ("X-Forwarded-For", "198.51.100.7"))
    event = proxy_event(Request("POST", "/prod/x", headers, b"", "192.0.2.10"), match)
    assert event["headers"]["X-Forwarded-For"] == "198.51.100.7, 192.0.2.10"
    assert event["multiValueHeaders"]["X-Forwarded-For"] == ["198.51.100.7, 192.0.2.10"]
    assert event["headers"]["X-Forwarded-Port"] == "80"


def test_the_function_url_event_has_every_field_of_sams_and_awss_examples() -> None:
    ours = paths(function_url_event())
    theirs = paths(sam_event("apigateway-http-api-proxy")) | AWS_URL
    assert undeclared(theirs - ours, "url") == set()
    assert ours - theirs == set()  # nothing AWS does not send


def test_the_function_url_event_has_the_headers_a_function_url_adds() -> None:
    headers = function_url_event()["headers"]
    assert URL_HEADERS.issubset(headers)
    assert headers["x-forwarded-for"] == "192.0.2.10"
    assert (headers["x-forwarded-port"], headers["x-forwarded-proto"]) == ("3001", "http")


def test_the_events_validate_against_powertools_models() -> None:
    pytest.importorskip("pydantic", reason="Powertools' event models need pydantic")
    from aws_lambda_powertools.utilities.parser.models import (
        APIGatewayProxyEventModel,
        LambdaFunctionUrlModel,
    )

    rest = APIGatewayProxyEventModel.model_validate(rest_event())
    assert str(rest.requestContext.identity.sourceIp) == "192.0.2.10/32"
    url = LambdaFunctionUrlModel.model_validate(function_url_event())
    assert url.requestContext.http.method == "POST"
    # SAM's own events validate too: the comparison above is against valid events.
    APIGatewayProxyEventModel.model_validate(sam_event("apigateway-aws-proxy"))
