"""bedrock_stream.sigv4 against botocore's SigV4Auth, the independent peer."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from unittest import mock
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.sigv4 import Credentials, sign, verify

pytest.importorskip(
    "botocore", reason="botocore is the peer these tests compare with (pip install boto3)"
)
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotocoreCredentials

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@contextlib.contextmanager
def botocore_clock(when: datetime) -> Iterator[None]:
    """Freeze the clock botocore's SigV4Auth.add_auth reads."""
    naive = when.astimezone(timezone.utc).replace(tzinfo=None)
    if hasattr(botocore.auth, "get_current_datetime"):  # botocore >= 1.35
        with mock.patch.object(botocore.auth, "get_current_datetime", return_value=naive):
            yield
        return
    fake = mock.Mock(wraps=datetime)  # older botocore: as its own tests' FreezeTime does
    fake.utcnow.return_value = naive
    fake.now.return_value = naive
    with mock.patch.object(botocore.auth.datetime, "datetime", fake):
        yield


def botocore_sign(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
    params: list[tuple[str, str]] | None = None,
) -> AWSRequest:
    request = AWSRequest(method=method, url=url, data=body, params=params)
    for name, value in headers:
        request.headers[name] = value  # appends: repeated names stay repeated
    peer = BotocoreCredentials(credentials.access_key, credentials.secret_key, credentials.token)
    with botocore_clock(now):
        botocore.auth.SigV4Auth(peer, service, region).add_auth(request)
    return request


def assert_same_headers(ours: list[tuple[str, str]], peer: AWSRequest) -> None:
    for name in ("Authorization", "X-Amz-Date", "Date", "X-Amz-Security-Token"):
        mine = [value for n, value in ours if n == name]
        theirs = peer.headers.get_all(name) or []
        if name not in {"Date", "X-Amz-Security-Token"} or mine:
            assert mine == theirs, name
    assert len(peer.headers.get_all("Authorization")) == 1


# -- strategies -----------------------------------------------------------------------

BASES = [
    "https://abc123.execute-api.us-east-1.amazonaws.com",
    "https://bedrock-runtime.us-west-2.amazonaws.com:443",
    "http://LocalHost:3000",
    "http://user:pw@127.0.0.1:80",
    "https://h.example:8443",
    "http://[::1]:8080",
    "https://[2001:DB8::1]",
]
# Any text but surrogates, and no TAB/CR/LF: urlsplit drops those, and botocore then
# decides IPv6 brackets differently (is_valid_ipv6_endpoint_url refuses such URLs).
TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\r\n")
PATH_TOKENS = ["", ".", "..", "%2F", "%2f", "%20", "%25", "%E1%88%B4", "~", "+", "$", " ", "é", "ሴ"]
segments = st.sampled_from(PATH_TOKENS) | st.text(TEXT, max_size=6).filter(
    lambda s: not set(s) & set("/?#")
)
paths = st.builds(
    lambda parts, slash: "/" + "/".join(parts) + ("/" if slash else ""),
    st.lists(segments, max_size=5),
    st.booleans(),
)
# Query text as decoded keys and values; repeated keys come from the small pool.
query_text = st.sampled_from(["a", "A", "b", "Param", "Param-3", "", "x y", "=", "&", "+", "~"]) | (
    st.text(TEXT, max_size=6)
)
pairs = st.lists(st.tuples(query_text, query_text), max_size=5)
NAMES = [
    "X-Custom",
    "x-custom",
    "Content-Type",
    "Accept",
    "User-Agent",
    "Expect",
    "X-Amzn-Trace-Id",
    "Connection",
    "Host",
    "Date",
    "X-Amz-Date",
    "Authorization",
    "X-Amz-Security-Token",
    "X-Amz-Content-SHA256",
]
header_names = st.sampled_from(NAMES) | st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,12}", fullmatch=True)
header_values = st.text(TEXT | st.just("\t"), max_size=12)
headers = st.lists(st.tuples(header_names, header_values), max_size=6)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "get", "post"])
credentials = st.builds(
    Credentials,
    st.from_regex(r"[A-Z0-9]{4,20}", fullmatch=True),
    st.text(TEXT, min_size=1, max_size=40),
    st.none() | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
)
regions = st.sampled_from(["us-east-1", "eu-west-3", "local"])
services = st.sampled_from(["execute-api", "bedrock", "lambda"])
times = st.integers(0, 10**9).map(lambda seconds: NOW + timedelta(seconds=seconds))


def encoded_query(query_pairs: list[tuple[str, str]]) -> str:
    """RFC 3986 encoding, the form botocore signs as it stands."""
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in query_pairs)


def url_for(base: str, path: str, query_pairs: list[tuple[str, str]]) -> str:
    query = encoded_query(query_pairs)
    return base + path + (f"?{query}" if query else "")


# -- sign matches botocore ------------------------------------------------------------


# Every property here draws the same kind of request: method, URL, query, headers, body,
# credentials, region, service and time.
def any_request(test: Callable[..., None]) -> Callable[..., None]:
    return settings(max_examples=200)(
        given(
            methods,
            st.sampled_from(BASES),
            paths,
            pairs,
            headers,
            st.binary(max_size=64),
            credentials,
            regions,
            services,
            times,
        )(test)
    )


@any_request
def test_sign_matches_botocore(
    method: str,
    base: str,
    path: str,
    query_pairs: list[tuple[str, str]],
    given_headers: list[tuple[str, str]],
    body: bytes,
    keys: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> None:
    url = url_for(base, path, query_pairs)
    options = {"credentials": keys, "region": region, "service": service, "now": now}
    ours = sign(method, url, given_headers, body, **options)  # type: ignore[arg-type]
    peer = botocore_sign(method, url, given_headers, body, **options)  # type: ignore[arg-type]
    assert_same_headers(ours, peer)


@settings(max_examples=200)
@given(pairs, st.sampled_from([str.lower, str.upper]), st.booleans())
def test_query_normalization_matches_botocores_params(
    query_pairs: list[tuple[str, str]], hex_case: object, bare: bool
) -> None:
    """Whatever valid encoding the URL uses, the signature is botocore's over the decoded pairs."""

    def loose(text: str) -> str:  # another valid encoding: hex digits in either case
        encoded = quote(text, safe="")
        return "%".join(
            hex_case(part[:2]) + part[2:] if i else part  # type: ignore[operator]
            for i, part in enumerate(encoded.split("%"))
        )

    items = [loose(k) if bare and k and not v else f"{loose(k)}={loose(v)}" for k, v in query_pairs]
    url = "https://h.example/p" + ("?" + "&".join(items) if items else "")
    options = {"credentials": Credentials("AK", "s"), "region": "r", "service": "s", "now": NOW}
    ours = sign("GET", url, [], b"", **options)  # type: ignore[arg-type]
    peer = botocore_sign(
        "GET", "https://h.example/p", [], b"", params=query_pairs or None, **options
    )  # type: ignore[arg-type]
    assert_same_headers(ours, peer)


def test_a_non_canonical_query_is_signed_re_encoded_unlike_botocores_raw_url() -> None:
    url = "https://h.example/p?b=x+y&a=%7e"
    options = {"credentials": Credentials("AK", "s"), "region": "r", "service": "s", "now": NOW}
    ours = dict(sign("GET", url, [], b"", **options))  # type: ignore[arg-type]
    raw = botocore_sign("GET", url, [], b"", **options)  # type: ignore[arg-type]
    params = botocore_sign(
        "GET", "https://h.example/p", [], b"", params=[("b", "x+y"), ("a", "~")], **options
    )  # type: ignore[arg-type]
    assert ours["Authorization"] == params.headers["Authorization"]
    assert ours["Authorization"] != raw.headers["Authorization"]


# -- verify accepts botocore ----------------------------------------------------------


def wire(request: AWSRequest) -> list[tuple[str, str]]:
    """The headers the server receives: botocore's, plus Host as an HTTP client adds it."""
    received = list(request.headers.items())
    if not any(name.lower() == "host" for name, _ in received):
        received.append(("Host", botocore.auth._host_from_url(request.url)))
    return received


@any_request
def test_verify_accepts_requests_botocore_signed(
    method: str,
    base: str,
    path: str,
    query_pairs: list[tuple[str, str]],
    given_headers: list[tuple[str, str]],
    body: bytes,
    keys: Credentials,
    region: str,
    service: str,
    now: datetime,
) -> None:
    # verify always hashes the body: a payload hash given in a header must be the body's.
    given_headers = [(n, v) for n, v in given_headers if n.lower() != "x-amz-content-sha256"]
    url = url_for(base, path, query_pairs)
    request = botocore_sign(
        method, url, given_headers, body, credentials=keys, region=region, service=service, now=now
    )
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    auth = verify(
        method,
        target,
        wire(request),
        body,
        secret_for={keys.access_key: keys.secret_key}.get,
        region=region,
        service=service,
        now=now + timedelta(seconds=30),
    )
    assert auth.access_key == keys.access_key
    given_token = any(n.lower() == "x-amz-security-token" for n, _ in given_headers)
    assert ("x-amz-security-token" in auth.signed_headers) == bool(keys.token or given_token)


def test_verify_accepts_a_botocore_request_with_a_session_token() -> None:
    keys = Credentials("ASIAEXAMPLE", "secret", "FwoGZXIvYXdzE//session+token==")
    request = botocore_sign(
        "POST",
        "https://abc123.execute-api.us-east-1.amazonaws.com/Prod/ask?stream=1",
        [("Content-Type", "application/json"), ("User-Agent", "Boto3/1.0")],
        b'{"prompt": "hi"}',
        credentials=keys,
        region="us-east-1",
        service="execute-api",
        now=NOW,
    )
    assert request.headers["X-Amz-Security-Token"] == keys.token
    auth = verify(
        "POST",
        "/Prod/ask?stream=1",
        wire(request),
        b'{"prompt": "hi"}',
        secret_for={keys.access_key: keys.secret_key}.get,
        region="us-east-1",
        service="execute-api",
        now=NOW,
    )
    assert auth.signed_headers == ("content-type", "host", "x-amz-date", "x-amz-security-token")
