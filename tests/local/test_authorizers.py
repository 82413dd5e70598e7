"""Lambda authorizers, sans I/O: method ARNs, identity sources, events, answers and the cache.

The expectations are API Gateway's, from the research notes (§3.1 input, §3.2 output, §3.4
identity sources, §3.5 caching, §3.6 what the client receives, §3.7 stringified context).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.local.authorizers import (
    AuthorizerCache,
    AuthorizerError,
    Grant,
    Unauthorized,
    authorizer_event,
    identity,
    method_arn,
    read_answer,
    read_error,
)
from bedrock_stream.local.deployment import AuthorizerSpec
from bedrock_stream.local.policy import parse

INVOKE = "execute-api:Invoke"
TOKEN = AuthorizerSpec("TokenAuth", "TOKEN", "AuthFn", ("method.request.header.Authorization",))
REQUEST = AuthorizerSpec(
    "RequestAuth",
    "REQUEST",
    "AuthFn",
    (
        "method.request.header.X-Tenant",
        "method.request.querystring.user",
        "stageVariables.realm",
        "context.identity.sourceIp",
    ),
)
EVENT: dict[str, Any] = {
    "resource": "/pets/{petId}",
    "path": "/pets/a1b2",
    "httpMethod": "GET",
    "headers": {"authorization": "Bearer abc.def", "x-tenant": "acme", "Host": "localhost"},
    "multiValueHeaders": {
        "authorization": ["Bearer abc.def"],
        "x-tenant": ["acme"],
        "Host": ["localhost"],
    },
    "queryStringParameters": {"user": "ann", "User": "bob"},
    "multiValueQueryStringParameters": {"user": ["ann"], "User": ["bob"]},
    "pathParameters": {"petId": "a1b2"},
    "stageVariables": {"realm": "blue"},
    "requestContext": {
        "resourcePath": "/pets/{petId}",
        "httpMethod": "GET",
        "path": "/Prod/pets/a1b2",
        "stage": "Prod",
        "requestId": "req-1",
        "requestTimeEpoch": 1767225600000,
        "identity": {"sourceIp": "192.0.2.10", "apiKey": None},
        "accountId": "123456789012",
        "apiId": "abc123",
    },
    "body": '{"secret": "payload"}',
    "isBase64Encoded": False,
}
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/a1b2"


def event(**changes: Any) -> dict[str, Any]:
    copied = copy.deepcopy(EVENT)
    copied.update(changes)
    return copied


def answer(**fields: Any) -> bytes:
    document = {
        "principalId": "user-1",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": INVOKE, "Effect": "Allow", "Resource": ARN}],
        },
    }
    document.update(fields)
    return json.dumps({k: v for k, v in document.items() if v is not ...}).encode()


# -- method ARNs (§3.1) ----------------------------------------------------------------


def test_method_arn_is_the_documented_format_with_the_requested_path() -> None:
    arn = method_arn(
        region="us-east-1",
        account="123456789012",
        api_id="abc123",
        stage="Prod",
        method="get",
        path="/pets/a1b2",
    )
    assert arn == ARN


def test_method_arn_of_the_root_ends_with_a_slash() -> None:
    arn = method_arn(region="eu-west-1", account="1", api_id="a", stage="s", method="GET", path="/")
    assert arn == "arn:aws:execute-api:eu-west-1:1:a/s/GET/"


SEGMENT = st.text("abcXYZ019-_.~%", min_size=1, max_size=8)


@given(
    st.sampled_from(["us-east-1", "eu-west-3"]),
    st.text("0123456789", min_size=12, max_size=12),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=10, max_size=10),
    st.text("Prodbeta_09", min_size=1, max_size=8),
    st.sampled_from(["GET", "post", "Delete", "OPTIONS"]),
    st.lists(SEGMENT, max_size=4),
)
def test_the_blueprint_parses_every_method_arn_back(
    region: str, account: str, api_id: str, stage: str, method: str, segments: list[str]
) -> None:
    path = "/" + "/".join(segments)
    arn = method_arn(
        region=region, account=account, api_id=api_id, stage=stage, method=method, path=path
    )
    # AWS's authorizer blueprint: arn.split(':'), then the sixth part split on '/'.
    parts = arn.split(":")
    assert parts[:5] == ["arn", "aws", "execute-api", region, account]
    api_gateway_arn = parts[5].split("/")
    assert api_gateway_arn[:3] == [api_id, stage, method.upper()]
    assert "/" + "/".join(api_gateway_arn[3:]) == path


# -- identity sources (§3.4) -----------------------------------------------------------


def test_token_identity_is_the_header_whatever_its_case() -> None:
    assert identity(TOKEN, EVENT) == ("Bearer abc.def",)
    upper = event(headers={"AUTHORIZATION": "t0k3n"})
    assert identity(TOKEN, upper) == ("t0k3n",)


def test_request_identity_reads_every_kind_of_source_in_order() -> None:
    assert identity(REQUEST, EVENT) == ("acme", "ann", "blue", "192.0.2.10")


def test_querystring_and_stage_variable_names_keep_their_case() -> None:
    spec = AuthorizerSpec("A", "REQUEST", "F", ("method.request.querystring.User",))
    assert identity(spec, EVENT) == ("bob",)
    stage = AuthorizerSpec("A", "REQUEST", "F", ("stageVariables.Realm",))
    assert identity(stage, EVENT) is None


def test_context_sources_read_the_request_context() -> None:
    spec = AuthorizerSpec("A", "REQUEST", "F", ("context.requestId", "context.stage"))
    assert identity(spec, EVENT) == ("req-1", "Prod")


@pytest.mark.parametrize(
    ("where", "changes"),
    [
        ("header missing", {"headers": {"Host": "localhost"}}),
        ("header empty", {"headers": {"authorization": "", "x-tenant": "acme"}}),
        ("no headers at all", {"headers": None}),
    ],
)
def test_a_missing_or_empty_token_is_no_identity(where: str, changes: dict[str, Any]) -> None:
    assert identity(TOKEN, event(**changes)) is None, where


@pytest.mark.parametrize(
    ("where", "changes"),
    [
        ("header missing", {"headers": {"authorization": "x"}}),
        ("header empty", {"headers": {"x-tenant": ""}}),
        ("querystring missing", {"queryStringParameters": {"User": "bob"}}),
        ("querystring empty", {"queryStringParameters": {"user": ""}}),
        ("no querystring", {"queryStringParameters": None}),
        ("stage variable missing", {"stageVariables": {"other": "x"}}),
        ("no stage variables", {"stageVariables": None}),
        ("context value missing", {"requestContext": {"identity": {}}}),
        ("context value null", {"requestContext": {"identity": {"sourceIp": None}}}),
        ("context value empty", {"requestContext": {"identity": {"sourceIp": ""}}}),
    ],
)
def test_any_missing_or_empty_request_source_is_no_identity(
    where: str, changes: dict[str, Any]
) -> None:
    assert identity(REQUEST, event(**changes)) is None, where


def test_a_request_authorizer_without_identity_sources_is_still_called() -> None:
    # DG: "When caching is disabled, it is not necessary to specify an identity source".
    spec = AuthorizerSpec("A", "REQUEST", "F", (), ttl=0)
    assert identity(spec, EVENT) == ()


def test_path_parameters_are_not_identity_sources() -> None:
    spec = AuthorizerSpec("A", "REQUEST", "F", ("method.request.path.petId",))
    assert identity(spec, EVENT) is None


def test_the_validation_expression_refuses_tokens_before_the_call() -> None:
    spec = AuthorizerSpec(
        "A",
        "TOKEN",
        "F",
        ("method.request.header.Authorization",),
        validation_expression=r"Bearer [a-z.]+",
    )
    assert identity(spec, EVENT) == ("Bearer abc.def",)
    assert identity(spec, event(headers={"Authorization": "Basic dXNlcg=="})) is None
    assert identity(spec, event(headers={"Authorization": "bearer abc"})) is None


def test_the_validation_expression_applies_to_token_authorizers_only() -> None:
    # CFN: IdentityValidationExpression is for TOKEN (and Cognito) authorizers, not REQUEST.
    spec = AuthorizerSpec(
        "A", "REQUEST", "F", ("method.request.header.X-Tenant",), validation_expression="nomatch"
    )
    assert identity(spec, EVENT) == ("acme",)


# -- the authorizer's event (§3.1) -----------------------------------------------------


def test_token_event_has_the_documented_three_fields() -> None:
    assert authorizer_event(TOKEN, EVENT, ARN) == {
        "type": "TOKEN",
        "authorizationToken": "Bearer abc.def",
        "methodArn": ARN,
    }


@given(st.text(st.characters(codec="ascii", exclude_characters="\r\n"), min_size=1))
def test_token_event_carries_the_header_value_unchanged(token: str) -> None:
    built = authorizer_event(TOKEN, event(headers={"AuThOrIzAtIoN": token}), ARN)
    assert built["authorizationToken"] == token


def test_request_event_is_the_proxy_event_without_its_body() -> None:
    original = event()
    built = authorizer_event(REQUEST, original, ARN)
    assert built["type"] == "REQUEST"
    assert built["methodArn"] == ARN
    assert "body" not in built and "isBase64Encoded" not in built
    rest = {k: v for k, v in built.items() if k not in ("type", "methodArn")}
    assert rest == {k: v for k, v in EVENT.items() if k not in ("body", "isBase64Encoded")}
    for field in ("multiValueHeaders", "multiValueQueryStringParameters", "pathParameters"):
        assert built[field] == EVENT[field]
    assert original == EVENT  # the request's own event keeps its body


# -- the authorizer's answer (§3.2, §3.7) ----------------------------------------------


def test_a_valid_answer_is_a_grant_whose_policy_is_evaluated() -> None:
    grant = read_answer(answer(usageIdentifierKey="k" * 20))
    assert grant.principal_id == "user-1"
    assert grant.usage_identifier_key == "k" * 20
    assert grant.context == {}
    assert grant.policy.evaluate(INVOKE, ARN) == "allow"
    assert grant.policy.evaluate(INVOKE, ARN.replace("GET", "PUT")) == "implicit-deny"


def test_context_values_reach_the_integration_as_strings() -> None:
    context = {"s": "stringval", "n": 123, "t": True, "f": False, "x": 1.5, "empty": ""}
    grant = read_answer(answer(context=context))
    assert grant.context == {
        "s": "stringval",
        "n": "123",
        "t": "true",
        "f": "false",
        "x": "1.5",
        "empty": "",
    }


@given(
    st.dictionaries(
        st.text(max_size=5),
        st.one_of(st.text(), st.booleans(), st.integers(-(10**12), 10**12)),
        max_size=5,
    )
)
def test_every_context_value_is_stringified(context: dict[str, Any]) -> None:
    grant = read_answer(answer(context=context))
    assert set(grant.context) == set(context)
    for name, value in context.items():
        expected = {True: "true", False: "false"}[value] if isinstance(value, bool) else str(value)
        assert grant.context[name] == expected


@pytest.mark.parametrize("value", [{"a": 1}, [], ["a"], {}])
def test_object_and_array_context_values_are_refused(value: Any) -> None:
    with pytest.raises(AuthorizerError):
        read_answer(answer(context={"ok": "1", "bad": value}))


def test_a_context_that_is_an_array_is_refused() -> None:
    # The documented context is a key-value map: an empty array is no more one than [1].
    with pytest.raises(AuthorizerError):
        read_answer(answer(context=[]))


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"null",
        b'"Allow"',
        b"[]",
        b'{"statusCode": 200, "body": "ok"}',
        answer(principalId=...),
        answer(principalId=None),
        answer(principalId=True),
        answer(principalId={"id": 1}),
        answer(policyDocument=...),
        answer(policyDocument=None),
        answer(policyDocument={"Statement": []}),
        answer(policyDocument={"Statement": [{"Effect": "Allow", "Action": INVOKE}]}),
        answer(context="text"),
        answer(usageIdentifierKey=12345),
        answer(usageIdentifierKey=["k"]),
    ],
)
def test_unusable_answers_are_configuration_errors(payload: bytes) -> None:
    with pytest.raises(AuthorizerError):
        read_answer(payload)


# -- the authorizer's error (§3.6) -----------------------------------------------------


def error(message: Any) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": "Error"}).encode()


def test_exactly_unauthorized_is_a_401() -> None:
    assert isinstance(read_error(error("Unauthorized")), Unauthorized)


@pytest.mark.parametrize(
    "body",
    [
        error("unauthorized"),
        error("Unauthorized "),
        error("Unauthorized."),
        error("Forbidden"),
        error(None),
        error(["Unauthorized"]),
        b'"Unauthorized"',
        b"Unauthorized",
        b"[]",
        b"",
        None,
    ],
)
def test_every_other_error_is_a_500(body: bytes | None) -> None:
    assert isinstance(read_error(body), AuthorizerError)


@given(st.text().filter(lambda text: text != "Unauthorized"))
def test_no_other_message_is_a_401(message: str) -> None:
    classified = read_error(error(message))
    assert isinstance(classified, AuthorizerError)
    assert not isinstance(classified, Unauthorized)


# -- the cache (§3.5) ------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def grant(name: str = "user-1", resource: str = ARN) -> Grant:
    statement = {"Effect": "Allow", "Action": INVOKE, "Resource": resource}
    return Grant(name, parse({"Statement": [statement]}), {"tier": name})


def test_a_result_is_kept_for_its_ttl_and_then_forgotten() -> None:
    clock = Clock()
    cache = AuthorizerCache(clock)
    spec = AuthorizerSpec("A", "TOKEN", "F", TOKEN.identity_sources, ttl=20)
    result = grant()
    assert cache.get("Api", spec, ("tok",)) is None
    cache.put("Api", spec, ("tok",), result)
    clock.now += 19.9
    assert cache.get("Api", spec, ("tok",)) is result
    clock.now += 0.2
    assert cache.get("Api", spec, ("tok",)) is None
    assert cache.get("Api", spec, ("tok",)) is None  # and stays forgotten


def test_the_default_ttl_is_300_seconds() -> None:
    clock = Clock()
    cache = AuthorizerCache(clock)
    cache.put("Api", TOKEN, ("tok",), grant())
    clock.now += 299
    assert cache.get("Api", TOKEN, ("tok",)) is not None
    clock.now += 2
    assert cache.get("Api", TOKEN, ("tok",)) is None


def test_a_ttl_of_zero_caches_nothing() -> None:
    clock = Clock()
    cache = AuthorizerCache(clock)
    spec = AuthorizerSpec("A", "REQUEST", "F", (), ttl=0)
    cache.put("Api", spec, (), grant())
    assert cache.get("Api", spec, ()) is None


def test_results_are_per_authorizer_and_per_identity() -> None:
    cache = AuthorizerCache(Clock())
    other = AuthorizerSpec("OtherAuth", "TOKEN", "F", TOKEN.identity_sources)
    ann, bob = grant("ann"), grant("bob")
    cache.put("Api", TOKEN, ("tok-ann",), ann)
    cache.put("Api", other, ("tok-ann",), bob)
    assert cache.get("Api", TOKEN, ("tok-ann",)) is ann
    assert cache.get("Api", other, ("tok-ann",)) is bob
    assert cache.get("Api", TOKEN, ("tok-bob",)) is None


def test_a_change_to_any_request_identity_source_misses_the_cache() -> None:
    cache = AuthorizerCache(Clock())
    cache.put("Api", REQUEST, ["acme", "ann", "blue", "192.0.2.10"], grant())
    assert cache.get("Api", REQUEST, ("acme", "ann", "blue", "192.0.2.10")) is not None
    for changed in range(4):
        key = ["acme", "ann", "blue", "192.0.2.10"]
        key[changed] += "!"
        assert cache.get("Api", REQUEST, key) is None


def test_a_cached_policy_for_one_method_refuses_the_next_route() -> None:
    # §3.5: the cached policy is re-evaluated against each request's own method ARN.
    cache = AuthorizerCache(Clock())
    cache.put("Api", TOKEN, ("tok",), grant(resource=ARN))
    cached = cache.get("Api", TOKEN, ("tok",))
    assert cached is not None
    assert cached.policy.evaluate(INVOKE, ARN) == "allow"
    assert cached.policy.evaluate(INVOKE, ARN.replace("/GET/", "/DELETE/")) == "implicit-deny"


@given(
    st.integers(1, 50),
    st.lists(st.tuples(st.booleans(), st.integers(0, 40)), min_size=1, max_size=20),
)
def test_a_result_is_served_exactly_while_its_last_put_is_younger_than_the_ttl(
    ttl: int, steps: list[tuple[bool, int]]
) -> None:
    clock = Clock(0.0)
    cache = AuthorizerCache(clock)
    spec = AuthorizerSpec("A", "TOKEN", "F", TOKEN.identity_sources, ttl=ttl)
    last_put: float | None = None
    latest: Grant | None = None
    for version, (is_put, advance) in enumerate(steps):
        clock.now += advance + 0.5  # never on an expiry instant, whose side AWS leaves open
        if is_put:
            result = grant(str(version))
            cache.put("Api", spec, ("tok",), result)
            last_put, latest = clock.now, result
            continue
        found = cache.get("Api", spec, ("tok",))
        if last_put is not None and clock.now - last_put < ttl:
            assert found is latest
        else:
            assert found is None


def test_each_api_has_its_own_cache_even_for_a_scheme_of_the_same_name() -> None:
    cache = AuthorizerCache(clock=lambda: 0.0)
    cache.put("Api", TOKEN, ("tok",), grant())
    assert cache.get("Api", TOKEN, ("tok",)) is not None
    assert cache.get("OtherApi", TOKEN, ("tok",)) is None
