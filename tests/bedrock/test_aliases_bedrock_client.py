"""Names that moved out of bedrock.client still import from it, as the same objects."""

from __future__ import annotations

from bedrock_stream import bedrock
from bedrock_stream.bedrock import client, retry, streams


def test_retry_policy_and_text_stream_keep_their_old_paths() -> None:
    assert client.RetryPolicy is retry.RetryPolicy is bedrock.RetryPolicy
    assert client.TextStream is streams.TextStream is bedrock.TextStream
