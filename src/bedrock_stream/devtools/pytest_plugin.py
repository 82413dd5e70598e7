"""pytest fixtures for testing streaming handlers against the local stack.

Installed with the package (entry point ``pytest11``); nothing is imported until a
fixture is used, and the fixtures need the ``local`` extra:

``bedrock_emulator``
    A running Bedrock emulator (no delays) with ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``,
    a region and dummy credentials set for the test, so any boto3 ``bedrock-runtime``
    client the code under test creates (bedrock-stream's default one included) talks to it.
``local_stack``
    A factory: ``local_stack("template.yaml", **options)`` starts a
    :class:`~bedrock_stream.local.stack.LocalStack` on free ports (Bedrock emulated, no
    delays, unless the options say otherwise) and stops it after the test.

For an in-process call of a handler, see :func:`bedrock_stream.testing.invoke_streaming`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bedrock_stream.local.bedrock.server import BedrockEmulator
    from bedrock_stream.local.stack import LocalStack

__all__ = ["bedrock_emulator", "local_stack"]

_FOREIGN = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
)
"""The caller's variables that would change who signs, where calls go, or which transport."""


@pytest.fixture
def bedrock_emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[BedrockEmulator]:
    """Start a Bedrock emulator and point the default Bedrock client at it for this test.

    Nothing of the caller's AWS configuration applies: no profile, shared file, token or
    credentials endpoint, so a laptop and CI run the same transport (the built-in one).
    """
    from bedrock_stream.bedrock import shared_client
    from bedrock_stream.local.bedrock.server import BedrockEmulator

    # bedrock-stream's per-process default client was made for another endpoint, if any;
    # the one made for this emulator is closed with it.
    made: dict[str, Any] = {}
    monkeypatch.setattr(shared_client, "_clients", made)
    with BedrockEmulator(speed=0.0) as emulator:
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emulator.url)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
        for name in _FOREIGN:
            monkeypatch.delenv(name, raising=False)
        # A real Bedrock API key would win over SigV4, and botocore refuses it over http://.
        monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
        try:
            yield emulator
        finally:
            for default in made.values():
                default.close()


@pytest.fixture
def local_stack() -> Iterator[Callable[..., LocalStack]]:
    """Return a factory that starts a local stack for a SAM template; all stop after the test."""
    from bedrock_stream.local.stack import LocalStack

    started: list[LocalStack] = []

    def start(template: str, **options: Any) -> LocalStack:
        options.setdefault("port", 0)
        options.setdefault("speed", 0.0)
        stack = LocalStack(template, **options).start()
        started.append(stack)
        return stack

    try:
        yield start
    finally:
        for stack in reversed(started):
            stack.close()
