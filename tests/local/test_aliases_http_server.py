"""The names that moved out of ``bedrock_stream.local.http_server`` are still importable there."""

from __future__ import annotations

from bedrock_stream.local import http_exchange, http_server, http_service


def test_the_moved_names_are_the_new_objects() -> None:
    for name in (
        "BadRequest",
        "BodyTooLarge",
        "ClientGone",
        "ErrorDocument",
        "Exchange",
        "message_document",
    ):
        assert getattr(http_server, name) is getattr(http_exchange, name), name
        assert name in http_server.__all__, name


def test_the_service_base_is_the_new_object() -> None:
    assert http_server.HTTPService is http_service.HTTPService


def test_the_server_keeps_its_own_names() -> None:
    assert {"HTTPServer", "HTTPService", "Handler"} <= set(http_server.__all__)
    for name in http_server.__all__:
        assert hasattr(http_server, name), name
