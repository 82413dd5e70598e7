"""IAM evaluation of a Lambda authorizer's policy, against research notes §3.3 (IAM semantics)."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.local.policy import PolicyError, parse

INVOKE = "execute-api:Invoke"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/pets/a1b2"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(resource: Any, action: Any = INVOKE) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(resource: Any, action: Any = INVOKE) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def reference_match(pattern: str, text: str) -> bool:
    """IAM's glob: ``*`` any run of characters (``/`` and ``:`` too), ``?`` exactly one."""

    @functools.cache
    def at(p: int, t: int) -> bool:
        if p == len(pattern):
            return t == len(text)
        if pattern[p] == "*":
            return at(p + 1, t) or (t < len(text) and at(p, t + 1))
        if t == len(text):
            return False
        return (pattern[p] == "?" or pattern[p] == text[t]) and at(p + 1, t + 1)

    return at(0, 0)


# Characters that are special to regular expressions, to IAM, or separate ARN parts.
LITERALS = "ab/:.+()[]{}\\$^|-"
TEXT = st.text(LITERALS + "*?", max_size=12)


@st.composite
def pattern_and_text(draw: st.DrawFn) -> tuple[str, str]:
    tokens = draw(st.lists(st.sampled_from(["*", "?", *LITERALS]), max_size=10))
    pattern = "".join(tokens)
    if draw(st.booleans()):
        return pattern, draw(TEXT)
    # A text built to match, or nearly: each wildcard replaced by what it could stand for.
    parts = []
    for token in tokens:
        if token == "*":
            parts.append(draw(st.text(LITERALS + "*?", max_size=4)))
        elif token == "?":
            parts.append(draw(st.sampled_from(LITERALS + "*?")))
        else:
            parts.append(token)
    text = "".join(parts)
    if text and draw(st.booleans()):
        cut = draw(st.integers(0, len(text) - 1))
        text = text[:cut] + text[cut + 1 :]
    return pattern, text


@given(pattern_and_text())
def test_resource_wildcards_agree_with_a_reference_glob_matcher(case: tuple[str, str]) -> None:
    pattern, text = case
    expected = "allow" if reference_match(pattern, text) else "implicit-deny"
    assert parse(policy(allow(pattern))).evaluate(INVOKE, text) == expected


@given(pattern_and_text())
def test_action_wildcards_agree_with_a_reference_glob_matcher(case: tuple[str, str]) -> None:
    pattern, text = case
    expected = "allow" if reference_match(pattern, text) else "implicit-deny"
    assert parse(policy(allow("*", action=pattern))).evaluate(text, ARN) == expected


def test_star_matches_every_character_including_a_newline() -> None:
    # IAM's "*" is "any combination of characters", a newline included.
    assert parse(policy(allow("*"))).evaluate(INVOKE, "arn:x/\n/GET/") == "allow"


def test_star_spans_slashes_and_colons_and_question_mark_is_one_character() -> None:
    evaluate = parse(policy(allow("arn:aws:execute-api:*:*:abc123/*"))).evaluate
    assert evaluate(INVOKE, ARN) == "allow"
    assert evaluate(INVOKE, "arn:aws:execute-api:us-east-1:123456789012:other/Prod/GET/") == (
        "implicit-deny"
    )
    one = parse(
        policy(allow("arn:aws:execute-api:us-east-1:123456789012:abc12?/Prod/GET/pets/a1b2"))
    )
    assert one.evaluate(INVOKE, ARN) == "allow"
    assert one.evaluate(INVOKE, ARN.replace("abc123", "abc1234")) == "implicit-deny"
    assert one.evaluate(INVOKE, ARN.replace("abc123", "abc12")) == "implicit-deny"


def test_regex_metacharacters_in_a_resource_are_literal() -> None:
    evaluate = parse(policy(allow("arn:aws:execute-api:us-east-1:1.3:api/(a|b)+/GET/"))).evaluate
    assert evaluate(INVOKE, "arn:aws:execute-api:us-east-1:1.3:api/(a|b)+/GET/") == "allow"
    assert evaluate(INVOKE, "arn:aws:execute-api:us-east-1:123:api/(a|b)+/GET/") == "implicit-deny"
    assert evaluate(INVOKE, "arn:aws:execute-api:us-east-1:1.3:api/aab/GET/") == "implicit-deny"


def test_resources_compare_with_case() -> None:
    evaluate = parse(policy(allow(ARN))).evaluate
    assert evaluate(INVOKE, ARN) == "allow"
    assert evaluate(INVOKE, ARN.replace("/Prod/", "/prod/")) == "implicit-deny"
    assert evaluate(INVOKE, ARN.replace("/GET/", "/get/")) == "implicit-deny"


@given(st.text("EXECUTEAPI-:nvok", min_size=1, max_size=20), st.data())
def test_actions_compare_without_case(action: str, data: st.DataObject) -> None:
    mask = data.draw(st.lists(st.booleans(), min_size=len(action), max_size=len(action)))
    recased = "".join(c.swapcase() if flip else c for c, flip in zip(action, mask, strict=True))
    assert parse(policy(allow("*", action=action))).evaluate(recased, ARN) == "allow"
    assert parse(policy(deny("*", action=recased))).evaluate(action, ARN) == "explicit-deny"
    assert parse(policy(allow("*", action=action + "x"))).evaluate(recased, ARN) == (
        "implicit-deny"
    )


def test_the_invoke_action_is_matched_by_service_and_global_wildcards_only() -> None:
    for action in (INVOKE, "execute-api:*", "*", "EXECUTE-API:invoke", ["s3:GetObject", INVOKE]):
        assert parse(policy(allow(ARN, action=action))).evaluate(INVOKE, ARN) == "allow", action
    for action in ("execute-api:InvalidateCache", "s3:*", "execute-api:Invoke2", ["s3:*"]):
        assert parse(policy(allow(ARN, action=action))).evaluate(INVOKE, ARN) == "implicit-deny"


def test_any_resource_of_a_list_may_match() -> None:
    listed = parse(policy(allow(["arn:other", ARN])))
    assert listed.evaluate(INVOKE, ARN) == "allow"
    assert listed.evaluate(INVOKE, "arn:third") == "implicit-deny"


def test_explicit_deny_overrides_allow_and_silence_is_implicit_deny() -> None:
    api = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/*"
    evaluate = parse(policy(allow(api), deny(api.replace("*", "GET/pets/*")))).evaluate
    assert evaluate(INVOKE, ARN) == "explicit-deny"
    assert evaluate(INVOKE, ARN.replace("/GET/pets/a1b2", "/POST/pets")) == "allow"
    assert evaluate(INVOKE, ARN.replace("/Prod/", "/Beta/")) == "implicit-deny"


def test_a_deny_of_another_action_does_not_deny_invoke() -> None:
    evaluate = parse(policy(allow("*"), deny("*", action="execute-api:InvalidateCache"))).evaluate
    assert evaluate(INVOKE, ARN) == "allow"
    assert evaluate("execute-api:InvalidateCache", ARN) == "explicit-deny"


def test_a_single_statement_object_is_a_statement_list_of_one() -> None:
    single = parse({"Version": "2012-10-17", "Statement": deny("*")})
    assert single.evaluate(INVOKE, ARN) == "explicit-deny"


ACTIONS = ("execute-api:Invoke", "execute-api:*", "*", "execute-api:InvalidateCache", "s3:Get*")
RESOURCES = (
    "*",
    ARN,
    "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod/GET/*",
    "arn:aws:execute-api:us-east-1:123456789012:abc123/*/POST/*",
    "arn:aws:execute-api:*:*:other/*",
    "arn:aws:execute-api:us-east-1:123456789012:abc12?/Prod/GET/pets/a1b?",
)
STATEMENT = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2),
        "Resource": st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2),
    }
)


def reference_verdict(statements: list[dict[str, Any]], action: str, resource: str) -> str:
    def applies(statement: dict[str, Any]) -> bool:
        return any(reference_match(a.lower(), action.lower()) for a in statement["Action"]) and any(
            reference_match(r, resource) for r in statement["Resource"]
        )

    effects = {s["Effect"] for s in statements if applies(s)}
    if "Deny" in effects:
        return "explicit-deny"
    return "allow" if effects else "implicit-deny"


@given(
    st.lists(STATEMENT, min_size=1, max_size=6),
    st.data(),
    st.sampled_from(
        [ARN, ARN.replace("GET", "POST"), "arn:aws:execute-api:eu-west-1:1:other/a/GET/"]
    ),
)
def test_explicit_deny_wins_regardless_of_statement_order(
    statements: list[dict[str, Any]], data: st.DataObject, resource: str
) -> None:
    expected = reference_verdict(statements, INVOKE, resource)
    shuffled = data.draw(st.permutations(statements))
    assert parse(policy(*statements)).evaluate(INVOKE, resource) == expected
    assert parse(policy(*shuffled)).evaluate(INVOKE, resource) == expected


@pytest.mark.parametrize(
    "document",
    [
        None,
        [],
        "Allow",
        {},
        {"Version": "2012-10-17"},
        {"Statement": []},
        {"Statement": "Allow"},
        {"Statement": [allow("*"), "Deny"]},
        {"Statement": [{"Action": INVOKE, "Resource": "*"}]},
        {"Statement": [{"Effect": "Permit", "Action": INVOKE, "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": [INVOKE, 7], "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": INVOKE}]},
        {"Statement": [{"Effect": "Allow", "Action": INVOKE, "Resource": []}]},
        {"Statement": [{"Effect": "Allow", "Action": INVOKE, "Resource": {"arn": "*"}}]},
        {"Statement": [{"Effect": "Allow", "Action": INVOKE, "Resource": 42}]},
    ],
)
def test_malformed_documents_are_refused(document: Any) -> None:
    with pytest.raises(PolicyError):
        parse(document)


def test_a_malformed_statement_is_named_in_the_error() -> None:
    with pytest.raises(PolicyError, match=r"Statement\[1\]"):
        parse(policy(allow("*"), {"Effect": "Allow", "Action": INVOKE}))
