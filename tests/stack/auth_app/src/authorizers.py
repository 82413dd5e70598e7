"""Lambda authorizers written with Powertools, as users write them.

``token``: the token picks the verdict. ``allow`` allows the whole API; ``narrow`` allows only
the method ARN it was asked about (wrong when cached: the next route is refused); ``deny``
denies explicitly; ``elsewhere`` allows another API only (an implicit deny here); ``nope`` is
API Gateway's 401; ``boom`` raises; ``broken`` answers without a policy; ``nested`` answers a
context value that is an object. Each answer's context carries ``calls``, how many times this
process has run, so a cached answer shows an old count.

``request``: the ``X-Tenant`` header must be ``acme``; the ``key`` query parameter is handed
back as the usage plan key (``usageIdentifierKey``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    DENY_ALL_RESPONSE,
    APIGatewayAuthorizerRequestEvent,
    APIGatewayAuthorizerResponse,
    APIGatewayAuthorizerTokenEvent,
    HttpVerb,
)

calls = 0


def _policy(event: Any, principal: str, **options: Any) -> APIGatewayAuthorizerResponse:
    arn = event.parsed_arn
    return APIGatewayAuthorizerResponse(
        principal_id=principal,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        **options,
    )


def token(raw: dict[str, Any], context: Any) -> dict[str, Any]:
    global calls
    calls += 1
    event = APIGatewayAuthorizerTokenEvent(raw)
    verdict = event.authorization_token
    details = {"user": "ada", "calls": calls, "admin": True, "method": event.parsed_arn.http_method}
    if verdict == "nope":
        raise Exception("Unauthorized")
    if verdict == "boom":
        raise RuntimeError("boom")
    if verdict == "broken":
        return {"principalId": "ada"}
    if verdict == "deny":
        return DENY_ALL_RESPONSE
    if verdict == "nested":
        return {**_allow_all(event, details).asdict(), "context": {"user": {"name": "ada"}}}
    if verdict == "narrow":
        arn = event.parsed_arn
        response = _policy(event, "ada", context=details)
        response.allow_route(HttpVerb[arn.http_method].value, arn.resource)
        return response.asdict()
    if verdict == "elsewhere":
        response = APIGatewayAuthorizerResponse("ada", "us-east-1", "123456789012", "other", "Prod")
        response.allow_all_routes()
        return response.asdict()
    return _allow_all(event, details).asdict()


def _allow_all(event: Any, details: dict[str, Any]) -> APIGatewayAuthorizerResponse:
    response = _policy(event, "ada", context=details)
    response.allow_all_routes()
    return response


def request(raw: dict[str, Any], context: Any) -> dict[str, Any]:
    event = APIGatewayAuthorizerRequestEvent(raw)
    if event.headers.get("X-Tenant") != "acme":
        raise Exception("Unauthorized")
    response = _policy(
        event,
        "tenant-acme",
        context={"tenant": "acme"},
        usage_identifier_key=event.query_string_parameters.get("key"),
    )
    response.allow_all_routes()
    return response.asdict()
