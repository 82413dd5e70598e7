"""SigV4: AWS's published test suite, sign/verify properties, and every rejection's message."""

from __future__ import annotations

import ast
import contextlib
import copy
import hashlib
import json
import os
import pickle
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bedrock_stream
from bedrock_stream.sigv4 import (
    ALGORITHM,
    UNSIGNED_HEADERS,
    Authorization,
    Credentials,
    IncompleteSignature,
    InvalidToken,
    MissingAuthentication,
    ScopeMismatch,
    SignatureError,
    SignatureExpired,
    SignatureMismatch,
    parse_authorization,
    sign,
    verify,
)

SUITE = Path(__file__).parents[1] / "data" / "sigv4" / "aws4_testsuite"
SUITE_KEY = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SUITE_NOW = datetime(2015, 8, 30, 12, 36, 0, tzinfo=timezone.utc)

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
REQUIRES_DATE = (
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
)
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
KEY = Credentials("AKIDEXAMPLE", "secret/+key", None)
HEADERS_SIGN_SETS = {"authorization", "date", "x-amz-date", "x-amz-security-token"}
GOOD = (
    "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/execute-api/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=" + "ab" * 32
)


# -- the AWS test suite ---------------------------------------------------------------


class Raw:
    """One HTTP/1.1 request from the suite's ``.req``/``.sreq`` text files."""

    def __init__(self, text: str) -> None:
        head, _, body = text.partition("\n\n")
        lines = [line for line in head.split("\n") if line]
        request_line = lines[0]
        self.method, _, rest = request_line.partition(" ")
        self.target = rest.rsplit(" ", 1)[0]  # the targets may hold spaces
        self.headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line[0] in " \t":  # obsolete line folding: part of the previous value
                name, value = self.headers[-1]
                self.headers[-1] = (name, f"{value} {line.strip()}")
                continue
            name, _, value = line.partition(":")
            self.headers.append((name, value.strip()))
        self.body = body.encode()

    def header(self, name: str) -> str:
        return next(v for n, v in self.headers if n.lower() == name)


class Case:
    def __init__(self, request: Path) -> None:
        base = request.with_suffix("")
        self.name = str(base.parent.relative_to(SUITE))
        self.request = Raw(request.read_text("utf-8"))
        self.signed = Raw(base.with_suffix(".sreq").read_text("utf-8"))
        self.canonical_request = base.with_suffix(".creq").read_text("utf-8")
        self.string_to_sign = base.with_suffix(".sts").read_text("utf-8")
        self.authorization = base.with_suffix(".authz").read_text("utf-8")
        token = re.search(r"^x-amz-security-token:(.*)$", self.canonical_request, re.MULTILINE)
        self.credentials = Credentials(
            SUITE_KEY.access_key, SUITE_KEY.secret_key, token.group(1) if token else None
        )


CASES = [Case(path) for path in sorted(SUITE.rglob("*.req"))]
ids = [case.name for case in CASES]


def suite_secret(access_key: str) -> str | None:
    return SUITE_KEY.secret_key if access_key == SUITE_KEY.access_key else None


def test_the_suite_is_there() -> None:
    assert len(CASES) == 34
    assert (SUITE / "LICENSE").is_file() and (SUITE / "NOTICE").is_file()


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_sign_produces_the_suites_authorization_header(case: Case) -> None:
    request = case.request
    host = request.header("host")
    # sign adds X-Amz-Date, and X-Amz-Security-Token from the credentials
    given_headers = [
        (n, v)
        for n, v in request.headers
        if n.lower() not in {"x-amz-date", "x-amz-security-token"}
    ]
    added = sign(
        request.method,
        f"https://{host}{request.target}",
        given_headers,
        request.body,
        credentials=case.credentials,
        region="us-east-1",
        service="service",
        now=SUITE_NOW,
    )
    assert dict(added)["Authorization"] == case.authorization
    assert added[0] == ("X-Amz-Date", "20150830T123600Z")


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_verify_accepts_the_suites_authorization_header(case: Case) -> None:
    request = case.request
    headers = [(n, v) for n, v in request.headers if n.lower() != "x-amz-security-token"]
    if case.credentials.token:
        headers.append(("X-Amz-Security-Token", case.credentials.token))
    headers.append(("Authorization", case.authorization))
    auth = verify(
        request.method,
        request.target,
        headers,
        request.body,
        secret_for=suite_secret,
        region="us-east-1",
        service="service",
        now=SUITE_NOW,
    )
    assert auth == parse_authorization(case.authorization)
    assert (auth.access_key, auth.date, auth.region, auth.service) == (
        "AKIDEXAMPLE",
        "20150830",
        "us-east-1",
        "service",
    )


# get-vanilla-with-session-token.sreq carries a placeholder signature, not its .authz one.
SIGNED_CASES = [c for c in CASES if c.signed.header("authorization") == c.authorization]


def test_only_one_signed_request_of_the_suite_is_a_placeholder() -> None:
    assert {c.name for c in CASES} - {c.name for c in SIGNED_CASES} == {
        "get-vanilla-with-session-token"
    }


@pytest.mark.parametrize("case", SIGNED_CASES, ids=[c.name for c in SIGNED_CASES])
def test_verify_accepts_the_suites_signed_requests(case: Case) -> None:
    signed = case.signed
    auth = verify(
        signed.method,
        signed.target,
        signed.headers,
        signed.body,
        secret_for=suite_secret,
        region="us-east-1",
        service="service",
        now=SUITE_NOW,
    )
    assert f"Signature={auth.signature}" in case.authorization


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_a_mismatch_reports_the_suites_canonical_request_and_string_to_sign(case: Case) -> None:
    request = case.request
    wrong = case.authorization[:-1] + ("0" if case.authorization[-1] != "0" else "1")
    headers = [(n, v) for n, v in request.headers if n.lower() != "x-amz-security-token"]
    if case.credentials.token:
        headers.append(("X-Amz-Security-Token", case.credentials.token))
    with pytest.raises(SignatureMismatch) as raised:
        verify(
            request.method,
            request.target,
            [*headers, ("Authorization", wrong)],
            request.body,
            secret_for=suite_secret,
            region="us-east-1",
            service="service",
            now=SUITE_NOW,
        )
    assert raised.value.canonical_request == case.canonical_request
    assert raised.value.string_to_sign == case.string_to_sign
    assert str(raised.value) == MISMATCH


# -- sign/verify properties -----------------------------------------------------------

HOSTS = [
    (
        "https://abc123.execute-api.us-east-1.amazonaws.com",
        "abc123.execute-api.us-east-1.amazonaws.com",
    ),
    ("https://Example.AmazonAWS.com:443", "example.amazonaws.com"),
    ("http://localhost:3000", "localhost:3000"),
    ("http://user:pw@127.0.0.1:80", "127.0.0.1"),
    ("http://[::1]:8080", "[::1]:8080"),
    ("https://[2001:db8::1]", "[2001:db8::1]"),
]
NO_SURROGATES = st.characters(blacklist_categories=("Cs",))
# Wire forms kept as they are: encoded slashes, double encoding, dot segments, raw specials.
PATH_TOKENS = [
    "",
    ".",
    "..",
    "%2F",
    "%2f",
    "%20",
    "%25",
    "%252F",
    "%E1%88%B4",
    "~",
    "+",
    "$",
    "a b",
]
QUERY_TOKENS = ["", "%2F", "/", ":", "@", "%7e", "%7E", "+", "%20", "%3D", "a%26b", "%E1%88%B4"]
SPECIAL = HEADERS_SIGN_SETS | {"host", "x-amz-content-sha256"}


def wire(tokens: list[str]) -> st.SearchStrategy[str]:
    """A component: one of the wire ``tokens``, or any text percent-encoded."""
    return st.sampled_from(tokens) | st.text(NO_SURROGATES, max_size=6).map(
        lambda text: quote(text, safe="")
    )


paths = st.builds(
    lambda segments, slash: "/" + "/".join(segments) + ("/" if slash else ""),
    st.lists(wire(PATH_TOKENS), max_size=5),
    st.booleans(),
)
query_keys = st.sampled_from(["a", "A", "b", "Param", "Param-3", "x y"]) | wire(QUERY_TOKENS)
queries = st.lists(st.tuples(query_keys, st.none() | wire(QUERY_TOKENS)), max_size=5).map(
    lambda pairs: "&".join(k if v is None else f"{k}={v}" for k, v in pairs)
)
header_names = st.sampled_from(
    ["X-Custom", "Content-Type", "Accept", "User-Agent", "Expect", "X-Amzn-Trace-Id", "X-Api-Key"]
) | st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,12}", fullmatch=True).filter(
    lambda name: name.lower() not in SPECIAL
)
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF) | st.just("\t"))
headers_lists = st.lists(
    st.tuples(
        header_names.flatmap(lambda n: st.sampled_from([n, n.lower(), n.upper()])),
        st.builds(
            lambda pad, v, end: pad + v + end,
            st.sampled_from(["", " ", "\t"]),
            header_values,
            st.sampled_from(["", "  "]),
        ),
    ),
    max_size=6,
)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get"])
secrets = st.text(NO_SURROGATES, min_size=1, max_size=40)
tokens = st.none() | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    host: str  # the Host header the client sends for url
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    credentials: Credentials
    region: str = "us-east-1"
    service: str = "execute-api"
    now: datetime = NOW

    def wire_headers(self) -> list[tuple[str, str]]:
        """The headers as the server receives them: given, then Host, then the signed ones."""
        added = sign(
            self.method,
            self.url,
            self.headers,
            self.body,
            credentials=self.credentials,
            region=self.region,
            service=self.service,
            now=self.now,
        )
        replaced = {name.lower() for name, _ in added}
        kept = [(n, v) for n, v in self.headers if n.lower() not in replaced]
        if not any(n.lower() == "host" for n, _ in kept):
            kept.append(("Host", self.host))
        return [*kept, *added]

    def verify(
        self,
        *,
        method: str | None = None,
        target: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes | None = None,
        secret: str | None = None,
    ) -> Authorization:
        """Verify this request as received, with the given parts changed after signing."""
        key = self.credentials.secret_key if secret is None else secret
        return verify(
            self.method if method is None else method,
            self.target if target is None else target,
            self.wire_headers() if headers is None else headers,
            self.body if body is None else body,
            secret_for=lambda access_key: (
                key if access_key == self.credentials.access_key else None
            ),
            region=self.region,
            service=self.service,
            now=self.now,
        )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    base, host = draw(st.sampled_from(HOSTS))
    path, query = draw(paths), draw(queries)
    target = path + (f"?{query}" if query else "")
    return Request(
        method=draw(methods),
        url=base + target,
        host=host,
        target=target,
        headers=draw(headers_lists),
        body=draw(st.binary(max_size=64)),
        credentials=Credentials(
            draw(st.from_regex(r"[A-Z0-9]{4,20}", fullmatch=True)), draw(secrets), draw(tokens)
        ),
        region=draw(st.sampled_from(["us-east-1", "eu-west-3", "local"])),
        service=draw(st.sampled_from(["execute-api", "bedrock"])),
        now=NOW + timedelta(seconds=draw(st.integers(0, 10**8))),
    )


@settings(max_examples=200)
@given(requests())
def test_verify_accepts_what_sign_produced(request: Request) -> None:
    auth = request.verify()
    assert auth.access_key == request.credentials.access_key
    assert (auth.region, auth.service) == (request.region, request.service)
    assert auth.date == request.now.strftime("%Y%m%d")
    assert "host" in auth.signed_headers and "x-amz-date" in auth.signed_headers
    assert ("x-amz-security-token" in auth.signed_headers) == bool(request.credentials.token)
    assert not set(auth.signed_headers) & UNSIGNED_HEADERS
    assert list(auth.signed_headers) == sorted(set(auth.signed_headers))


def test_unsigned_headers_may_change_in_transit() -> None:
    request = Request(
        method="POST",
        url="https://h.example/p",
        host="h.example",
        target="/p",
        headers=[("User-Agent", "a"), ("X-Amzn-Trace-Id", "Root=1"), ("Expect", "100-continue")],
        body=b"{}",
        credentials=KEY,
    )
    received = [
        (n, "changed") if n in {"User-Agent", "X-Amzn-Trace-Id"} else (n, v)
        for n, v in request.wire_headers()
        if n != "Expect"
    ]
    auth = request.verify(headers=[*received, ("Connection", "close")])
    assert auth.signed_headers == ("host", "x-amz-date")


def tampered(request: Request, part: str) -> dict[str, Any]:
    """The one change to ``part`` that the signature must catch."""
    path, mark, query = request.target.partition("?")
    if part == "method":
        return {"method": "POST" if request.method.upper() == "PUT" else "PUT"}
    if part == "path":
        return {"target": path + ("" if path.endswith("/") else "/") + "!tampered" + mark + query}
    if part == "query":
        return {"target": f"{path}?{query}&!tampered" if query else f"{path}?!tampered"}
    if part == "header":
        received = request.wire_headers()
        signed = parse_authorization(dict(received)["Authorization"]).signed_headers
        name = next(n for n in signed if n not in {"x-amz-date", "x-amz-security-token"})
        index = max(i for i, (n, _) in enumerate(received) if n.lower() == name)
        received[index] = (received[index][0], received[index][1] + " !tampered")
        return {"headers": received}
    if part == "body":
        return {"body": request.body + b"!"}
    return {"secret": request.credentials.secret_key + "!"}


@settings(max_examples=200)
@given(requests(), st.sampled_from(["method", "path", "query", "header", "body", "secret"]))
def test_changing_any_signed_part_is_a_mismatch(request: Request, part: str) -> None:
    with pytest.raises(SignatureMismatch) as raised:
        request.verify(**tampered(request, part))
    assert str(raised.value) == MISMATCH


@given(requests())
def test_sign_is_deterministic_and_dated_at_the_signing_time(request: Request) -> None:
    first = request.wire_headers()
    assert first == request.wire_headers()
    assert dict(first)["X-Amz-Date"] == request.now.strftime("%Y%m%dT%H%M%SZ")


# -- sign -----------------------------------------------------------------------------


def test_sign_returns_date_token_then_authorization() -> None:
    added = sign(
        "POST",
        "https://h.example/p",
        [("Authorization", "old"), ("X-Amz-Date", "old"), ("X-Amz-Security-Token", "old")],
        b"",
        credentials=Credentials("AK", "s", "tok"),
        region="us-east-1",
        service="execute-api",
        now=NOW,
    )
    assert [name for name, _ in added] == ["X-Amz-Date", "X-Amz-Security-Token", "Authorization"]
    assert added[0][1] == "20260101T000000Z" and added[1][1] == "tok"
    assert added[2][1].startswith(
        "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature="
    )


def test_sign_without_a_token_signs_a_given_token_header_as_botocore_does() -> None:
    added = sign(
        "GET",
        "https://h.example/",
        [("X-Amz-Security-Token", "given")],
        b"",
        credentials=KEY,
        region="r",
        service="s",
        now=NOW,
    )
    assert [name for name, _ in added] == ["X-Amz-Date", "Authorization"]
    assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in added[1][1]


def test_sign_replaces_a_given_date_header_with_an_rfc_1123_date() -> None:
    headers = [("date", "whatever"), ("X-Amz-Date", "dropped")]
    added = sign(
        "GET", "https://h.example/", headers, b"", credentials=KEY, region="r", service="s", now=NOW
    )
    assert added[0] == ("Date", "Thu, 01 Jan 2026 00:00:00 -0000")
    assert [name for name, _ in added] == ["Date", "Authorization"]
    assert "SignedHeaders=date;host," in added[1][1]
    wire_headers = [("Host", "h.example"), *added]
    auth = verify(
        "GET",
        "/",
        wire_headers,
        b"",
        secret_for=lambda k: KEY.secret_key,
        region="r",
        service="s",
        now=NOW,
    )
    assert auth.signed_headers == ("date", "host")


@pytest.mark.parametrize(
    ("url", "host"),
    [*HOSTS, ("http://h.example:443", "h.example:443"), ("https://h.example:80", "h.example:80")],
)
def test_sign_takes_the_host_from_the_url(url: str, host: str) -> None:
    added = sign("GET", url + "/", [], b"", credentials=KEY, region="r", service="s", now=NOW)
    verify(
        "GET",
        "/",
        [("Host", host), *added],
        b"",
        secret_for=lambda k: KEY.secret_key,
        region="r",
        service="s",
        now=NOW,
    )
    with pytest.raises(SignatureMismatch):
        verify(
            "GET",
            "/",
            [("Host", host + "x"), *added],
            b"",
            secret_for=lambda k: KEY.secret_key,
            region="r",
            service="s",
            now=NOW,
        )


def test_sign_signs_a_given_host_header_instead_of_the_urls() -> None:
    added = sign(
        "GET",
        "http://127.0.0.1:3000/",
        [("HOST", "api.example")],
        b"",
        credentials=KEY,
        region="r",
        service="s",
        now=NOW,
    )
    verify(
        "GET",
        "/",
        [("Host", "api.example"), *added],
        b"",
        secret_for=lambda k: KEY.secret_key,
        region="r",
        service="s",
        now=NOW,
    )


def test_sign_needs_a_host() -> None:
    with pytest.raises(ValueError, match="no host"):
        sign("GET", "/relative", [], b"", credentials=KEY, region="r", service="s", now=NOW)


def test_sign_uses_a_given_payload_hash_and_verify_the_body() -> None:
    body = b'{"a": 1}'

    def received(payload_hash: str) -> list[tuple[str, str]]:
        headers = [("X-Amz-Content-SHA256", payload_hash)]
        added = sign(
            "POST",
            "https://h.example/",
            headers,
            body,
            credentials=KEY,
            region="r",
            service="s",
            now=NOW,
        )
        return [*headers, ("Host", "h.example"), *added]

    options: dict[str, Any] = {
        "secret_for": lambda key: KEY.secret_key,
        "region": "r",
        "service": "s",
        "now": NOW,
    }
    verify("POST", "/", received(hashlib_sha256(body)), body, **options)
    with pytest.raises(SignatureMismatch) as raised:
        verify("POST", "/", received("UNSIGNED-PAYLOAD"), body, **options)
    assert raised.value.canonical_request.endswith("\n" + hashlib_sha256(body))
    assert "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n" in raised.value.canonical_request


def hashlib_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_sign_accepts_naive_and_non_utc_times() -> None:
    aware = sign(
        "GET", "https://h.example/", [], b"", credentials=KEY, region="r", service="s", now=NOW
    )
    naive = sign(
        "GET",
        "https://h.example/",
        [],
        b"",
        credentials=KEY,
        region="r",
        service="s",
        now=NOW.replace(tzinfo=None),
    )
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    other = sign(
        "GET", "https://h.example/", [], b"", credentials=KEY, region="r", service="s", now=paris
    )
    assert aware == naive == other


def test_credentials_keep_the_secret_out_of_repr() -> None:
    text = repr(Credentials("AKID", "very-secret", "session-token"))
    assert text == "Credentials(access_key='AKID')"


@pytest.mark.parametrize(
    "value",
    [
        Credentials("AKID", "secret", "token"),
        Credentials("AKID", "secret"),
        parse_authorization(GOOD),
    ],
)
def test_values_are_frozen_and_compare_by_value(value: Credentials | Authorization) -> None:
    assert value == copy.copy(value) == copy.deepcopy(value) == pickle.loads(pickle.dumps(value))
    assert hash(value) == hash(copy.deepcopy(value))
    assert value != tuple(getattr(value, name) for name in value.__match_args__)
    with pytest.raises(AttributeError, match="is frozen"):
        value.access_key = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="is frozen"):
        del value.access_key  # type: ignore[misc]
    with pytest.raises(AttributeError):
        value.extra = 1  # type: ignore[attr-defined]
    assert Credentials("a", "b") != Credentials("a", "c")
    assert Credentials(access_key="a", secret_key="b").token is None
    match value:
        case Credentials(key, _, _) | Authorization(key, _, _, _, _, _):
            assert key == "AKID"


# -- parse_authorization --------------------------------------------------------------


def test_parse_authorization_returns_the_parts() -> None:
    assert parse_authorization(GOOD) == Authorization(
        access_key="AKID",
        date="20260101",
        region="us-east-1",
        service="execute-api",
        signed_headers=("host", "x-amz-date"),
        signature="ab" * 32,
    )
    compact = GOOD.replace(", ", ",").replace("host;", "Host;")
    assert parse_authorization(compact) == parse_authorization(GOOD)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "Bearer abc",
            "'abc' not a valid key=value pair (missing equal-sign) in Authorization header: "
            "'Bearer abc'.",
        ),
        (
            "Basic dXNlcjpwYXNzd29yZA==",
            "Authorization header requires 'Credential' parameter. "
            "Authorization header requires 'Signature' parameter. "
            "Authorization header requires 'SignedHeaders' parameter. "
            "Authorization=Basic dXNlcjpwYXNzd29yZA==",
        ),
        (
            "eyJhbGciOiJIUzI1NiJ9.e30.sig",
            "Authorization header requires 'Credential' parameter. "
            "Authorization header requires 'Signature' parameter. "
            "Authorization header requires 'SignedHeaders' parameter. "
            "Authorization=eyJhbGciOiJIUzI1NiJ9.e30.sig",
        ),
        (
            GOOD.replace(", Signature=" + "ab" * 32, ""),
            f"Authorization header requires 'Signature' parameter. Authorization="
            f"{GOOD.replace(', Signature=' + 'ab' * 32, '')}",
        ),
        (
            GOOD.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"),
            "Authorization header algorithm must be 'AWS4-HMAC-SHA256', not 'AWS4-HMAC-SHA512'.",
        ),
        (
            GOOD.replace("AKID/", "AK/ID/"),
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term, got "
            "'AK/ID/20260101/us-east-1/execute-api/aws4_request'",
        ),
        (
            GOOD.replace("/execute-api/aws4_request", "/execute-api"),
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            "keyid/date/region/service/term, got 'AKID/20260101/us-east-1/execute-api'",
        ),
        (
            GOOD.replace("aws4_request", "aws4_requests"),
            "Credential should be scoped with a valid terminator: 'aws4_request', "
            "not 'aws4_requests'.",
        ),
        (
            GOOD.replace("20260101", "2026-01-01"),
            "Credential scope date must be eight digits (YYYYMMDD), got '2026-01-01'.",
        ),
        (
            GOOD.replace("host;x-amz-date", "host;;x-amz-date"),
            "SignedHeaders must be header names separated by ';', got 'host;;x-amz-date'.",
        ),
        (
            GOOD.replace("ab" * 32, "ab" * 31),
            f"Signature must be 64 hexadecimal digits, got '{'ab' * 31}'.",
        ),
        (
            GOOD.replace("ab" * 32, "zz" * 32),
            f"Signature must be 64 hexadecimal digits, got '{'zz' * 32}'.",
        ),
        (
            GOOD + ", Signature=" + "cd" * 32,
            "Authorization header gives 'Signature' more than once.",
        ),
    ],
)
def test_parse_authorization_rejects_malformed_values(value: str, message: str) -> None:
    with pytest.raises(IncompleteSignature) as raised:
        parse_authorization(value)
    assert str(raised.value) == message
    assert raised.value.error_type == "IncompleteSignatureException"


@given(st.text(max_size=120))
def test_parse_authorization_raises_only_signature_errors(value: str) -> None:
    with contextlib.suppress(SignatureError):
        parse_authorization(value)


# -- verify's rejections --------------------------------------------------------------


def signed_request(
    *,
    now: datetime = NOW,
    credentials: Credentials = KEY,
    region: str = "us-east-1",
    service: str = "execute-api",
    headers: tuple[tuple[str, str], ...] = (),
) -> list[tuple[str, str]]:
    added = sign(
        "POST",
        "https://h.example/p?q=1",
        list(headers),
        b"body",
        credentials=credentials,
        region=region,
        service=service,
        now=now,
    )
    replaced = {name.lower() for name, _ in added}
    return [*(h for h in headers if h[0].lower() not in replaced), ("Host", "h.example"), *added]


def run_verify(headers: list[tuple[str, str]], **options: object) -> Authorization:
    settings_ = {
        "secret_for": {KEY.access_key: KEY.secret_key}.get,
        "region": "us-east-1",
        "service": "execute-api",
        "now": NOW,
        **options,
    }
    return verify("POST", "/p?q=1", headers, b"body", **settings_)


def replace(headers: list[tuple[str, str]], name: str, value: str | None) -> list[tuple[str, str]]:
    kept = [(n, v) for n, v in headers if n.lower() != name.lower()]
    return kept if value is None else [*kept, (name, value)]


def rejection(headers: list[tuple[str, str]], **options: object) -> SignatureError:
    with pytest.raises(SignatureError) as raised:
        run_verify(headers, **options)
    return raised.value


def test_verify_accepts_the_baseline() -> None:
    assert run_verify(signed_request()).access_key == KEY.access_key


def test_no_authorization_header_is_missing_authentication() -> None:
    error = rejection(replace(signed_request(), "Authorization", None))
    assert type(error) is MissingAuthentication
    assert str(error) == "Missing Authentication Token"
    assert error.error_type == "MissingAuthenticationTokenException"


def test_a_malformed_authorization_header_is_an_incomplete_signature() -> None:
    error = rejection(replace(signed_request(), "Authorization", "Bearer abc"))
    assert type(error) is IncompleteSignature
    assert str(error) == (
        "'abc' not a valid key=value pair (missing equal-sign) in Authorization header: "
        "'Bearer abc'."
    )


def test_a_missing_date_is_named_with_the_missing_parameters() -> None:
    headers = replace(replace(signed_request(), "X-Amz-Date", None), "Authorization", "Basic a=")
    error = rejection(headers)
    assert type(error) is IncompleteSignature
    assert str(error) == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        f"{REQUIRES_DATE} Authorization=Basic a="
    )
    headers = replace(signed_request(), "X-Amz-Date", None)
    value = dict(headers)["Authorization"]
    assert str(rejection(headers)) == f"{REQUIRES_DATE} Authorization={value}"


@pytest.mark.parametrize(
    "date", ["2026-01-01T00:00:00Z", "20260101T000000", "20261301T000000Z", ""]
)
def test_an_unparseable_amz_date_is_an_incomplete_signature(date: str) -> None:
    error = rejection(replace(signed_request(), "X-Amz-Date", date))
    assert type(error) is IncompleteSignature
    if date:
        assert str(error) == (
            f"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", got '{date}'."
        )


def test_an_unparseable_date_header_is_an_incomplete_signature() -> None:
    headers = replace(replace(signed_request(), "X-Amz-Date", None), "Date", "yesterday")
    error = rejection(headers)
    assert type(error) is IncompleteSignature
    assert str(error) == (
        "Date must be an HTTP-date such as 'Sun, 06 Nov 1994 08:49:37 GMT', got 'yesterday'."
    )


def test_two_authorization_headers_are_an_incomplete_signature() -> None:
    headers = signed_request()
    error = rejection([*headers, ("authorization", dict(headers)["Authorization"])])
    assert type(error) is IncompleteSignature
    assert str(error) == "The request has more than one Authorization header."


def test_host_must_be_signed() -> None:
    added = sign(
        "GET",
        "https://h.example/",
        [],
        b"",
        credentials=KEY,
        region="us-east-1",
        service="execute-api",
        now=NOW,
    )
    value = dict(added)["Authorization"].replace("SignedHeaders=host;", "SignedHeaders=")
    error = rejection(replace(signed_request(), "Authorization", value))
    assert type(error) is IncompleteSignature
    assert str(error) == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


def test_an_unknown_access_key_is_an_invalid_token() -> None:
    error = rejection(signed_request(credentials=Credentials("OTHER", "x")))
    assert type(error) is InvalidToken
    assert str(error) == "The security token included in the request is invalid."
    assert error.error_type == "AccessDeniedException"


def test_a_wrong_secret_is_a_mismatch_with_the_canonical_request() -> None:
    error = rejection(signed_request(credentials=Credentials(KEY.access_key, "wrong")))
    assert type(error) is SignatureMismatch
    assert str(error) == MISMATCH
    assert error.error_type == "InvalidSignatureException"
    assert error.canonical_request == (
        "POST\n/p\nq=1\nhost:h.example\nx-amz-date:20260101T000000Z\n\nhost;x-amz-date\n"
        + hashlib_sha256(b"body")
    )
    assert error.string_to_sign.startswith(
        "AWS4-HMAC-SHA256\n20260101T000000Z\n20260101/us-east-1/execute-api/aws4_request\n"
    )


def test_a_region_out_of_scope_is_named() -> None:
    error = rejection(signed_request(region="eu-west-1"))
    assert type(error) is ScopeMismatch
    assert str(error) == "Credential should be scoped to a valid region, not 'eu-west-1'."
    assert error.error_type == "InvalidSignatureException"


def test_a_service_out_of_scope_names_the_expected_one() -> None:
    error = rejection(signed_request(service="execute-apis"))
    assert type(error) is ScopeMismatch
    assert str(error) == "Credential should be scoped to correct service: 'execute-api'."


def test_the_scope_date_must_be_the_request_date() -> None:
    headers = signed_request()
    error = rejection(replace(headers, "X-Amz-Date", "20251231T235959Z"))
    assert type(error) is ScopeMismatch
    assert str(error) == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20260101' != '20251231', from 'X-Amz-Date'."
    )
    dated = signed_request(headers=(("Date", "x"),))
    error = rejection(replace(dated, "Date", "Wed, 31 Dec 2025 23:59:59 GMT"))
    assert str(error).endswith("'20260101' != '20251231', from 'Date'.")


T = datetime(2026, 1, 1, 0, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("now", "message"),
    [
        (T + timedelta(minutes=5), None),
        (T + timedelta(minutes=5, microseconds=999999), None),
        (
            T + timedelta(minutes=5, seconds=1),
            "Signature expired: 20260101T000000Z is now earlier than 20260101T000001Z "
            "(20260101T000501Z - 5 min.)",
        ),
        (
            T + timedelta(minutes=9),
            "Signature expired: 20260101T000000Z is now earlier than 20260101T000400Z "
            "(20260101T000900Z - 5 min.)",
        ),
        (T - timedelta(minutes=5), None),
        (
            T - timedelta(minutes=5, seconds=1),
            "Signature not yet current: 20260101T000000Z is still later than 20251231T235959Z "
            "(20251231T235459Z + 5 min.)",
        ),
    ],
)
def test_skew_boundaries(now: datetime, message: str | None) -> None:
    headers = signed_request(now=T)
    if message is None:
        run_verify(headers, now=now)
        return
    error = rejection(headers, now=now)
    assert type(error) is SignatureExpired
    assert str(error) == message
    assert error.error_type == "InvalidSignatureException"


def test_skew_is_configurable_and_named_in_seconds_when_not_whole_minutes() -> None:
    headers = signed_request(now=T)
    run_verify(headers, now=T + timedelta(seconds=90), max_skew=timedelta(seconds=90))
    error = rejection(headers, now=T + timedelta(seconds=91), max_skew=timedelta(seconds=90))
    assert str(error) == (
        "Signature expired: 20260101T000000Z is now earlier than 20260101T000001Z "
        "(20260101T000131Z - 90 sec.)"
    )
    run_verify(headers, now=T + timedelta(hours=1), max_skew=timedelta(hours=2))


def test_a_date_header_counts_when_there_is_no_amz_date() -> None:
    headers = signed_request(headers=(("Date", "x"),))
    assert "X-Amz-Date" not in dict(headers)
    run_verify(headers)
    later = rejection(headers, now=NOW + timedelta(minutes=6))
    assert str(later).startswith("Signature expired: 20260101T000000Z is now earlier than")


@pytest.mark.parametrize(
    "date",
    [
        "Thu, 01 Jan 2026 00:00:00 GMT",
        "Thu, 01 Jan 2026 00:00:00 +0000",
        "Thu,  01 Jan 2026 00:00:00 UTC",
    ],
)
def test_http_dates_in_gmt_are_understood(date: str) -> None:
    headers = replace(signed_request(headers=(("Date", "x"),)), "Date", date)
    # The date passes every check; only the signature, made over another Date text, fails.
    with pytest.raises(SignatureMismatch) as raised:
        run_verify(headers)
    assert f"\ndate:{' '.join(date.split())}\n" in raised.value.canonical_request


def test_verify_accepts_naive_utc_now_and_an_absolute_form_target() -> None:
    headers = signed_request()
    run_verify(headers, now=NOW.replace(tzinfo=None))
    verify(
        "POST",
        "https://h.example/p?q=1",
        headers,
        b"body",
        secret_for=lambda key: KEY.secret_key,
        region="us-east-1",
        service="execute-api",
        now=NOW,
    )


def test_every_error_is_a_value_error() -> None:
    for error in (
        MissingAuthentication,
        IncompleteSignature,
        InvalidToken,
        ScopeMismatch,
        SignatureExpired,
        SignatureMismatch,
    ):
        assert issubclass(error, SignatureError) and issubclass(error, ValueError)
    assert ALGORITHM == "AWS4-HMAC-SHA256"


def test_importing_the_module_loads_no_third_party_or_typing_module() -> None:
    code = (
        "import sys, json\nbefore = set(sys.modules)\nimport bedrock_stream.sigv4\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    ours = {name for name in loaded if name.split(".")[0] == "bedrock_stream"}
    parts = {"authorization", "canonical", "errors", "signing", "value", "verification"}
    assert ours == {
        "bedrock_stream",
        "bedrock_stream.errors",
        "bedrock_stream.sigv4",
        "bedrock_stream._sigv4",
        *(f"bedrock_stream._sigv4.{part}" for part in parts),
    }
    assert not loaded & {"typing", "botocore", "boto3", "email", "http.client", "logging"}
    assert all(name.split(".")[0] in sys.stdlib_module_names for name in loaded - ours)


def test_signing_loads_none_of_the_verifier() -> None:
    # -S: no site-packages, so what loads is the package's doing; its src comes first.
    src = Path(bedrock_stream.__file__).parents[1]
    code = (
        "import bedrock_stream._sigv4.signing, sys; "
        "print(sorted(m for m in sys.modules if m.startswith('bedrock_stream')))"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(ast.literal_eval(done.stdout))
    assert not loaded & {
        "bedrock_stream._sigv4.authorization",
        "bedrock_stream._sigv4.errors",
        "bedrock_stream._sigv4.verification",
        "bedrock_stream.sigv4",
    }
    assert loaded == {
        "bedrock_stream",
        "bedrock_stream._sigv4",
        "bedrock_stream._sigv4.canonical",
        "bedrock_stream._sigv4.signing",
        "bedrock_stream._sigv4.value",
    }
