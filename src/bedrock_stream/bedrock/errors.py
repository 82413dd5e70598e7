"""Errors raised by :mod:`bedrock_stream.bedrock`.

Messages carry the error code and the service's message, never the prompt.
"""

from __future__ import annotations

from bedrock_stream.errors import BedrockStreamError

__all__ = [
    "BedrockError",
    "IncompleteStreamError",
    "InternalServerError",
    "MalformedChunkError",
    "ModelStreamError",
    "ModelTimeoutError",
    "ServiceUnavailableError",
    "ThrottlingError",
    "ToolInputError",
    "UnknownModelError",
    "UnsupportedOptionError",
    "ValidationError",
    "error_for_code",
]


class BedrockError(BedrockStreamError):
    """A Bedrock call failed; ``code`` is the service's error code ('' if none)."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class ThrottlingError(BedrockError):
    """``ThrottlingException`` / ``throttlingException``."""

    retryable = True


class ServiceUnavailableError(BedrockError):
    """``ServiceUnavailableException``."""

    retryable = True


class ModelTimeoutError(BedrockError):
    """``ModelTimeoutException`` (and ConverseStream's empty-code stream error)."""

    retryable = True


class ModelStreamError(BedrockError):
    """``modelStreamErrorException``: the model failed mid-stream."""


class InternalServerError(BedrockError):
    """``InternalServerException``."""


class ValidationError(BedrockError):
    """``ValidationException`` (bad request, unknown model, ...)."""


class IncompleteStreamError(BedrockError):
    """The stream ended without a stop event: the answer is truncated."""


class MalformedChunkError(BedrockError):
    """A chunk's bytes are not the JSON object the model family sends."""


class ToolInputError(BedrockError):
    """A tool call's input is not JSON; ``input_json`` keeps it as the model wrote it."""

    def __init__(self, message: str, *, tool_use_id: str, name: str, input_json: str) -> None:
        super().__init__(message)
        self.tool_use_id = tool_use_id
        self.name = name
        self.input_json = input_json


class UnknownModelError(BedrockError, ValueError):
    """The model family cannot be resolved from the model id."""


class UnsupportedOptionError(BedrockError, ValueError):
    """A request option the model family's format, or the installed botocore, cannot express."""


SHAPE_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError)
"""What reading a JSON document of the wrong shape raises (a list where a mapping was due...)."""


def malformed(what: str, error: Exception) -> MalformedChunkError:
    """Return the error for ``what`` (a chunk, an event, a body) read as the wrong shape."""
    kind = type(error).__name__
    return MalformedChunkError(f"{what} does not have the expected shape ({kind})", code="")


_BY_CODE: dict[str, type[BedrockError]] = {
    "throttlingexception": ThrottlingError,
    "toomanyrequestsexception": ThrottlingError,
    "serviceunavailableexception": ServiceUnavailableError,
    "modeltimeoutexception": ModelTimeoutError,
    "": ModelTimeoutError,
    "modelstreamerrorexception": ModelStreamError,
    "internalserverexception": InternalServerError,
    "validationexception": ValidationError,
}


def error_for_code(code: str, message: str) -> BedrockError:
    """Build the typed error for a service error code (either case; ``Foo:url`` suffixes ok)."""
    key = code.split(":", 1)[0].strip().lower()
    cls = _BY_CODE.get(key, BedrockError)
    return cls(f"{code or 'stream error without a code'}: {message}", code=code)
