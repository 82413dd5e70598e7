"""The names that moved out of bedrock.requests still import from it, as the same objects."""

from __future__ import annotations

from bedrock_stream.bedrock import request_blocks, request_options, requests


def test_moved_request_names_are_the_new_objects() -> None:
    assert requests.Messages is request_blocks.Messages
    assert requests.to_messages is request_blocks.to_messages
    assert requests.RequestOptions is request_options.RequestOptions
    assert {"Messages", "RequestOptions", "to_messages"} <= set(requests.__all__)
