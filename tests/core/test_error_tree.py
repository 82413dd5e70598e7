"""One error tree: every project exception has BedrockStreamError as its root, in its subtree,
keeping the built-in base callers caught it by before the tree existed."""

from __future__ import annotations

import importlib

import pytest

from bedrock_stream import errors

# (module, class, subtree, the built-in it was caught as before)
TREE = [
    ("bedrock_stream.errors", "HTTPError", errors.BedrockStreamError, Exception),
    ("bedrock_stream.errors", "MidStreamError", errors.BedrockStreamError, Exception),
    ("bedrock_stream.http_integration", "PreludeError", errors.RemoteProtocolError, ValueError),
    ("bedrock_stream.protocol.http1", "WireError", errors.ProtocolError, ValueError),
    ("bedrock_stream.sigv4", "SignatureError", errors.RemoteProtocolError, ValueError),
    *[
        ("bedrock_stream.protocol.eventstream", name, errors.RemoteProtocolError, ValueError)
        for name in (
            "EventStreamDecodeError",
            "PreludeChecksumError",
            "MessageChecksumError",
            "HeadersLengthError",
            "PayloadLengthError",
            "MessageLengthError",
            "HeaderError",
            "HeaderTypeError",
            "DuplicateHeaderError",
            "TruncatedStreamError",
        )
    ],
    (
        "bedrock_stream.protocol.runtime_api",
        "InvalidStateTransition",
        errors.LocalProtocolError,
        RuntimeError,
    ),
    ("bedrock_stream._driver", "ResponseStateError", errors.LocalProtocolError, RuntimeError),
    (
        "bedrock_stream.runtime.client",
        "RuntimeAPIError",
        errors.LambdaRuntimeError,
        ConnectionError,
    ),
    ("bedrock_stream.runtime.diagnostic", "Fault", errors.LambdaRuntimeError, Exception),
    (
        "bedrock_stream.runtime.stream",
        "DeadlineGuardExceeded",
        errors.LambdaRuntimeError,
        Exception,
    ),
    ("bedrock_stream.runtime.marshal", "MarshalError", errors.LambdaRuntimeError, Exception),
    ("bedrock_stream.runtime.marshal", "UnmarshalError", errors.LambdaRuntimeError, Exception),
    ("bedrock_stream.bedrock.errors", "BedrockError", errors.BedrockStreamError, Exception),
    ("bedrock_stream.bedrock.errors", "UnknownModelError", errors.BedrockStreamError, ValueError),
    (
        "bedrock_stream.bedrock.errors",
        "UnsupportedOptionError",
        errors.BedrockStreamError,
        ValueError,
    ),
    ("bedrock_stream.local.invoker", "TooManyRequests", errors.LocalStackError, Exception),
    ("bedrock_stream.local.stack", "PortInUse", errors.LocalStackError, OSError),
    ("bedrock_stream.local.runtimes", "RuntimeUnavailable", errors.LocalStackError, ValueError),
    ("bedrock_stream.local.references", "TemplateError", errors.LocalStackError, ValueError),
    ("bedrock_stream.local.intrinsics", "IntrinsicError", errors.LocalStackError, ValueError),
    ("bedrock_stream.local.policy", "PolicyError", errors.LocalStackError, ValueError),
    ("bedrock_stream.local.authorizers", "Unauthorized", errors.LocalStackError, Exception),
    ("bedrock_stream.local.authorizers", "AuthorizerError", errors.LocalStackError, Exception),
    ("bedrock_stream.local.bedrock.schema", "ServiceError", errors.LocalStackError, Exception),
    ("bedrock_stream.local.bedrock.auth", "AuthError", errors.LocalStackError, Exception),
    ("bedrock_stream.local.http_exchange", "BadRequest", errors.LocalStackError, Exception),
    ("bedrock_stream.local.http_exchange", "BodyTooLarge", errors.LocalStackError, Exception),
    ("bedrock_stream.proxy_request", "NotAnHTTPEvent", errors.AppAdapterError, TypeError),
    ("bedrock_stream.asgi.lifespan", "LifespanError", errors.AppAdapterError, RuntimeError),
    ("bedrock_stream.wsgi", "WSGIError", errors.AppAdapterError, RuntimeError),
    ("bedrock_stream.asgi.messages", "ASGIProtocolError", errors.LocalProtocolError, RuntimeError),
    (
        "bedrock_stream.local.http_exchange",
        "ClientGone",
        errors.LocalStackError,
        ConnectionError,
    ),
]


@pytest.mark.parametrize(("module", "name", "subtree", "builtin"), TREE)
def test_exception_sits_in_its_subtree_and_keeps_its_builtin(
    module: str, name: str, subtree: type[Exception], builtin: type[Exception]
) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, subtree)
    assert issubclass(cls, builtin)


def test_the_subtrees_hang_from_the_root_and_nothing_else_does() -> None:
    for subtree in (
        errors.ProtocolError,
        errors.LocalProtocolError,
        errors.RemoteProtocolError,
        errors.LambdaRuntimeError,
        errors.LocalStackError,
        errors.AppAdapterError,
    ):
        assert issubclass(subtree, errors.BedrockStreamError)
    assert not issubclass(errors.LocalProtocolError, errors.RemoteProtocolError)
    assert not issubclass(ValueError, errors.BedrockStreamError)


def test_every_exception_is_in_the_docstring_tree() -> None:
    for _, name, _, _ in TREE:
        assert name in (errors.__doc__ or ""), name
