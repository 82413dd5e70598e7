"""The local stack's static site: files, the endpoints' config, nothing outside its directory."""

from __future__ import annotations

import http.client
import json
import logging
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
    (root / "loop").symlink_to(root / "loop")
    (root / "dangling").symlink_to(root / "gone")
    (root / "out").symlink_to(tmp_path / "secret.txt")
    (root / "sub").mkdir()
    (root / "sub" / "index.html").symlink_to(tmp_path / "secret.txt")
    (root / "caf\u00e9.html").write_text("<p>caf\u00e9</p>")
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


def test_a_utf_8_name_is_served_escaped_or_not(site: StaticSite) -> None:
    assert _get(site, "/caf%C3%A9.html")[::2] == (200, "<p>caf\u00e9</p>".encode())


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


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/%00", 400),
        ("/index.html%00.txt", 400),
        ("/%ff.html", 400),  # not UTF-8
        ("/caf%C3.html", 400),  # a truncated UTF-8 sequence
        pytest.param("/" + "a" * 300, 404, id="a-name-over-NAME_MAX"),
        pytest.param("/" + "a" * 5000, 404, id="a-5000-character-name"),
        pytest.param("/" + "a/" * 2500 + "index.html", 404, id="a-path-over-PATH_MAX"),
        ("/..%2f..%2fsecret.txt", 404),
        ("/%2e%2e%2fsecret.txt", 404),
        ("/index.html/x", 404),  # through a file
        ("/loop", 404),  # a symlink loop
        ("/loop/index.html", 404),
        ("/dangling", 404),
        ("/out", 404),  # a symlink out of the directory
        ("/sub/", 404),  # a directory whose index.html is such a symlink
    ],
)
def test_impossible_paths_are_answered_without_an_error_logged(
    site: StaticSite, caplog: pytest.LogCaptureFixture, path: str, status: int
) -> None:
    answer, content_type, body = _get(site, path)
    assert (answer, content_type) == (status, "application/json")
    assert b"do not serve" not in body and "message" in json.loads(body)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_an_unreadable_file_is_not_found(
    site: StaticSite, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert _get(site, "/app.js")[0] == 404
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
