"""The names that moved out of ``bedrock_stream.local.stack`` are still importable there."""

from __future__ import annotations

from bedrock_stream.local import endpoints, stack


def test_the_endpoint_and_the_iam_credentials_are_the_new_objects() -> None:
    for name in ("Endpoint", "IAM_CREDENTIALS"):
        assert getattr(stack, name) is getattr(endpoints, name), name
        assert name in stack.__all__, name
