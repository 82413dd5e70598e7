"""The local stack's static site: files, the endpoints' config, nothing outside its directory."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bedrock_stream.local.static_site import StaticSite


@pytest.fixture
def site(tmp_path: Path) -> Iterator[StaticSite]:
    root = tmp_path / "web"
    root.mkdir()
    (root / "index.html").write_text("<h1>page</h1>")
    (root / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("do not serve")
    with_config = StaticSite(root, {"streaming": "http://s/Prod/ask"}).start()
    yield with_config
    with_config.close()


def _get(site: StaticSite, path: str, method: str = "GET") -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection(site.server.host, site.server.port)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def test_the_root_is_index_html_and_files_have_their_types(site: StaticSite) -> None:
    assert _get(site, "/") == (200, "text/html; charset=utf-8", b"<h1>page</h1>")
    status, content_type, body = _get(site, "/app.js?v=1")
    assert (status, body) == (200, b"console.log(1)")
    assert "javascript" in content_type


def test_config_json_names_the_endpoints(site: StaticSite) -> None:
    status, content_type, body = _get(site, "/config.json")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {"streaming": "http://s/Prod/ask"}


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/nope.html"])
def test_nothing_outside_the_directory_or_missing_is_served(site: StaticSite, path: str) -> None:
    status, _, body = _get(site, path)
    assert status == 404
    assert b"do not serve" not in body


def test_only_get_and_head(site: StaticSite) -> None:
    assert _get(site, "/", "HEAD")[::2] == (200, b"")
    assert _get(site, "/", "POST")[0] == 405
