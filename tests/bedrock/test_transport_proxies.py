"""Which proxy botocore would use: botocore's and urllib's own functions are the reference."""

from __future__ import annotations

import os
import urllib.request
from unittest import mock

import pytest
from botocore.endpoint import EndpointCreator
from botocore.httpsession import ProxyConfiguration
from botocore.utils import get_environ_proxies
from hypothesis import given, settings
from hypothesis import strategies as st

from bedrock_stream.bedrock.transport.proxies import proxy_for


def botocore_proxy(url: str) -> str | None:
    """The proxy botocore's endpoint would use for ``url`` under ``os.environ``."""
    proxies = EndpointCreator._get_proxies(None, url)  # type: ignore[arg-type]
    assert proxies == get_environ_proxies(url)
    return ProxyConfiguration(proxies=proxies).proxy_url_for(url)  # type: ignore[no-any-return]


def urllib_proxy(url: str) -> str | None:
    """The same from urllib.request's own environment functions."""
    proxies = urllib.request.getproxies_environment()
    netloc = url.split("://", 1)[1].split("/", 1)[0]
    if urllib.request.proxy_bypass_environment(netloc, proxies):
        return None
    proxy = proxies.get(url.split("://", 1)[0].lower())
    if proxy is None or proxy.startswith(("http:", "https:")):
        return proxy
    return "http:" + proxy if proxy.startswith("//") else "http://" + proxy


def references(url: str, environ: dict[str, str]) -> tuple[str | None, str | None]:
    with mock.patch.dict(os.environ, environ, clear=True):
        return botocore_proxy(url), urllib_proxy(url)


BEDROCK = "https://bedrock-runtime.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("url", "environ", "expected"),
    [
        (BEDROCK, {}, None),
        (BEDROCK, {"HTTPS_PROXY": "proxy:3128"}, "http://proxy:3128"),
        (BEDROCK, {"https_proxy": "//proxy:1"}, "http://proxy:1"),
        (BEDROCK, {"HTTPS_PROXY": "https://a", "https_proxy": "http://b"}, "http://b"),
        (BEDROCK, {"HTTPS_PROXY": "http://a", "https_proxy": ""}, None),
        (BEDROCK, {"HTTP_PROXY": "http://p"}, None),
        ("http://10.0.0.1:80", {"HTTP_PROXY": "http://p", "REQUEST_METHOD": "GET"}, None),
        ("http://10.0.0.1:80", {"http_proxy": "http://p", "REQUEST_METHOD": "GET"}, "http://p"),
        (BEDROCK, {"HTTPS_PROXY": "http://p", "NO_PROXY": "*"}, None),
        (BEDROCK, {"HTTPS_PROXY": "http://p", "NO_PROXY": " *"}, "http://p"),
        (BEDROCK, {"HTTPS_PROXY": "http://p", "NO_PROXY": "amazonaws.com"}, None),
        (BEDROCK, {"HTTPS_PROXY": "http://p", "NO_PROXY": ".AmazonAWS.com"}, None),
        (BEDROCK, {"HTTPS_PROXY": "http://p", "NO_PROXY": "zonaws.com"}, "http://p"),
        (
            BEDROCK,
            {"HTTPS_PROXY": "http://p", "no_proxy": "x, bedrock-runtime.us-east-1"},
            "http://p",
        ),
        (BEDROCK + ":443", {"HTTPS_PROXY": "http://p", "NO_PROXY": "amazonaws.com:443"}, None),
        (BEDROCK, {"HTTPS_PROXY": "http://p", "NO_PROXY": "amazonaws.com:443"}, "http://p"),
        ("https://10.0.0.1:8443", {"HTTPS_PROXY": "http://p", "NO_PROXY": "10.0.0.1"}, None),
        ("https://10.0.0.1", {"HTTPS_PROXY": "http://p", "NO_PROXY": "10.0.0.0/8"}, "http://p"),
        ("https://[::1]:8443", {"HTTPS_PROXY": "http://p", "NO_PROXY": "[::1]"}, None),
    ],
)
def test_proxy_for_known_cases(url: str, environ: dict[str, str], expected: str | None) -> None:
    assert proxy_for(url, environ) == expected
    assert references(url, environ) == (expected, expected)


LABELS = st.sampled_from(["a", "b", "amazonaws", "com", "bedrock-runtime", "us-east-1", "x1"])
HOSTS = st.one_of(
    st.lists(LABELS, min_size=1, max_size=4).map(".".join),
    st.sampled_from(["10.0.0.1", "127.0.0.1", "[::1]", "[fd00::2]"]),
)
PORTS = st.sampled_from(["", ":443", ":80", ":8443", ":"])
NETLOCS = st.builds(lambda host, port: host + port, HOSTS, PORTS)


def _case(text: str, mode: int) -> str:
    return [text, text.upper(), text.title()][mode]


ENTRIES = st.one_of(
    st.builds(
        lambda dot, netloc, pad, mode: pad + dot + _case(netloc, mode) + pad,
        st.sampled_from(["", ".", ".."]),
        NETLOCS,
        st.sampled_from(["", " ", "\t"]),
        st.integers(0, 2),
    ),
    st.sampled_from(["*", "", " ", "."]),
)
NO_PROXY = st.lists(ENTRIES, max_size=4).map(",".join)
PROXIES = st.sampled_from(["", "proxy:3128", "http://p:1", "https://p", "//p:2", "socks5://p"])
NAMES = st.sampled_from(
    [
        *("HTTPS_PROXY", "https_proxy", "Https_Proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"),
        *("NO_PROXY", "no_proxy", "No_Proxy", "REQUEST_METHOD", "PATH"),
    ]
)


@st.composite
def environs(draw: st.DrawFn) -> dict[str, str]:
    environ: dict[str, str] = {}
    for name in draw(st.lists(NAMES, unique=True, max_size=6)):
        environ[name] = draw(NO_PROXY if "no" in name.lower() else PROXIES)
    return environ


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTPS"]),
    netloc=NETLOCS,
    path=st.sampled_from(["", "/", "/model/x/invoke"]),
    environ=environs(),
)
def test_proxy_for_matches_botocore_and_urllib(scheme, netloc, path, environ) -> None:
    url = f"{scheme}://{netloc}{path}"
    botocore_answer, urllib_answer = references(url, environ)
    assert proxy_for(url, environ) == botocore_answer == urllib_answer
