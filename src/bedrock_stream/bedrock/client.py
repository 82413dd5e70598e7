"""The calls to Bedrock (``stream_events``, ``stream_text``, ``complete_reply`` ...).

Each drives a client with boto3's four method names: the caller's, or the process's default
(:mod:`.shared_client`: the built-in transport or boto3). boto3/botocore are never imported
here; botocore's exceptions, where botocore is loaded, are mapped to :mod:`.errors` in exactly
one place, :func:`_mapped_errors`. Retries and the truncation guarantee are :mod:`.streams`'.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from .converse import converse_events, converse_response_events
from .errors import BedrockError, IncompleteStreamError, MalformedChunkError, error_for_code
from .events import Event, PerformanceConfig, ServiceTier
from .families import Family, resolve_family
from .parsers import ChunkParser, parse_invoke_response
from .request_floor import check_request_fields
from .requests import (
    Messages,
    RequestOptions,
    build_converse_request,
    build_invoke_request,
    is_prompt_arn,
)
from .retry import RetryPolicy as RetryPolicy
from .shared_client import READ_TIMEOUT as READ_TIMEOUT
from .shared_client import default_client
from .streams import Call, ReplyStream, TextStream

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .assembly import Reply
    from .events import Metrics, Stop, Trace, Usage

__all__ = [
    "Completion",
    "RetryPolicy",
    "TextStream",
    "complete_reply",
    "complete_text",
    "default_client",
    "stream_events",
    "stream_text",
]

Api = Literal["converse", "invoke"]
DEFAULT_MAX_TOKENS = 1024


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """Map botocore exceptions to :class:`BedrockError`; the only place that does.

    A response body read after botocore has handed it over fails with urllib3's own
    errors (the connection cut, a read timeout mid-stream): those are a truncated answer.
    The built-in transport raises :class:`BedrockError` itself, and botocore is consulted
    only when it is loaded: a function on the built-in transport never imports it.
    """
    try:
        yield
    except BedrockError:
        raise
    except Exception as exc:
        if "botocore" not in sys.modules:
            raise
        mapped = _botocore_error(exc)
        if mapped is None:
            raise
        raise mapped from exc


def _botocore_error(exc: Exception) -> BedrockError | None:
    from botocore.eventstream import ParserError as FramingError
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
    from urllib3.exceptions import HTTPError as TransportError

    if isinstance(exc, ClientError):  # includes EventStreamError (exception frames)
        error = exc.response.get("Error") or {}
        return error_for_code(str(error.get("Code") or ""), str(error.get("Message") or ""))
    if isinstance(exc, ParamValidationError):  # its text quotes the request's values
        return BedrockError(f"{type(exc).__name__}: invalid request parameters", code="")
    if isinstance(exc, BotoCoreError):  # e.g. "Bearer authorization requires an HTTPS endpoint"
        return BedrockError(f"{type(exc).__name__}: {exc}", code="")
    if isinstance(exc, (TransportError, FramingError)):  # cut off, or bytes not a stream
        message = f"the response broke off ({type(exc).__name__}): the answer is incomplete"
        return IncompleteStreamError(message)
    return None


def _decode_chunk(raw: Any) -> Any:
    if not isinstance(raw, bytes):  # a chunk event without its bytes member
        raise MalformedChunkError("a chunk has no bytes", code="")
    try:
        return json.loads(raw)
    except ValueError:
        raise MalformedChunkError("a chunk's bytes are not JSON", code="") from None


def _request(
    prompt_or_messages: str | Messages,
    model_id: str,
    api: Api,
    family: str | None,
    options: RequestOptions,
    *,
    stream: bool,
) -> tuple[Family | None, dict[str, Any]]:
    """Return the invoke API's model family (None for Converse) and the call's arguments.

    ``max_tokens`` defaults to :data:`DEFAULT_MAX_TOKENS`, and on Converse to none for a
    prompt ARN, whose prompt sets it.
    """
    default = None if api == "converse" and is_prompt_arn(model_id) else DEFAULT_MAX_TOKENS
    options = {"max_tokens": default, **options}
    if api == "invoke":
        resolved = resolve_family(model_id, family)
        return resolved, build_invoke_request(
            model_id, resolved, prompt_or_messages, stream=stream, **options
        )
    if api == "converse":
        return None, build_converse_request(
            model_id, prompt_or_messages, family=family, stream=stream, **options
        )
    raise ValueError(f"api must be 'converse' or 'invoke', not {api!r}")


def _send(bedrock: Any, operation: str, arguments: dict[str, Any]) -> Any:
    """Call ``operation`` once the client's service model knows every field of the request."""
    meta = getattr(bedrock, "meta", None)  # a boto3 client; the built-in one has no model
    if meta is not None:
        check_request_fields(meta.service_model, operation, arguments)
    with _mapped_errors():
        return getattr(bedrock, _METHODS[operation])(**arguments)


_METHODS = {
    "ConverseStream": "converse_stream",
    "Converse": "converse",
    "InvokeModelWithResponseStream": "invoke_model_with_response_stream",
    "InvokeModel": "invoke_model",
}


def _served(response: Any) -> list[Event]:
    """Return the latency mode and tier an invoke call was served in (response headers)."""
    out: list[Event] = []
    if (latency := response.get("performanceConfigLatency")) is not None:
        out.append(PerformanceConfig(str(latency)))
    if (tier := response.get("serviceTier")) is not None:
        out.append(ServiceTier(str(tier)))
    return out


def _streamed(client: Any, invoke: Family | None, arguments: dict[str, Any]) -> Call:
    """One ConverseStream or InvokeModelWithResponseStream attempt, as typed events."""

    def call() -> Generator[Event, None, None]:
        bedrock = client if client is not None else default_client()
        served: list[Event] = []  # ConverseStream says it in its metadata event
        if invoke is None:
            stream = _send(bedrock, "ConverseStream", arguments)["stream"]
            events: Callable[[Any], Iterable[Event]] = converse_events
            finish: Callable[[], Iterable[Event]] = tuple
        else:
            parser = ChunkParser(invoke)
            response = _send(bedrock, "InvokeModelWithResponseStream", arguments)
            stream, served, finish = response["body"], _served(response), parser.finish

            def events(raw: Any) -> Iterable[Event]:
                chunk = raw.get("chunk")
                return () if chunk is None else parser.feed(_decode_chunk(chunk.get("bytes")))

        try:
            with _mapped_errors():
                for raw in stream:
                    yield from events(raw)
        finally:
            stream.close()
        yield from finish()  # what the clean end completes
        yield from served

    return call


def _buffered(client: Any, invoke: Family | None, arguments: dict[str, Any]) -> Call:
    """One Converse or InvokeModel attempt, as the typed events a stream would carry."""

    def call() -> Generator[Event, None, None]:
        bedrock = client if client is not None else default_client()
        if invoke is None:
            yield from converse_response_events(_send(bedrock, "Converse", arguments))
            return
        response = _send(bedrock, "InvokeModel", arguments)
        with _mapped_errors():
            raw = response["body"].read()
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        yield from parse_invoke_response(invoke, _decode_chunk(raw), headers)
        yield from _served(response)

    return call


def stream_events(
    prompt_or_messages: str | Messages,
    *,
    model_id: str,
    api: Api = "converse",
    client: Any = None,
    family: str | None = None,
    retry: RetryPolicy | None = None,
    **options: Unpack[RequestOptions],
) -> ReplyStream:
    """Stream the reply as typed events (ConverseStream or InvokeModelWithResponseStream).

    ``options`` are the request's (:class:`~.requests.RequestOptions`); ``max_tokens``
    defaults to 1024, and on Converse to none for a prompt ARN (its prompt sets it). See
    :class:`~.streams.ReplyStream` for what it yields and raises.
    """
    invoke, arguments = _request(prompt_or_messages, model_id, api, family, options, stream=True)
    return ReplyStream(_streamed(client, invoke, arguments), retry or RetryPolicy())


def complete_reply(
    prompt_or_messages: str | Messages,
    *,
    model_id: str,
    api: Api = "converse",
    client: Any = None,
    family: str | None = None,
    retry: RetryPolicy | None = None,
    **options: Unpack[RequestOptions],
) -> Reply:
    """Buffered counterpart of :func:`stream_events` (Converse or InvokeModel).

    Returns the :class:`~.assembly.Reply`, with the same errors and retries, and no
    client-side timings.
    """
    invoke, arguments = _request(prompt_or_messages, model_id, api, family, options, stream=False)
    stream = ReplyStream(_buffered(client, invoke, arguments), retry or RetryPolicy())
    for _ in stream:
        pass
    return replace(stream.reply(), time_to_first_token=None, output_tokens_per_second=None)


def _text_options(
    system: str | None,
    max_tokens: int | None,
    temperature: float | None,
    top_p: float | None,
    stop_sequences: Sequence[str] | None,
) -> RequestOptions:
    """Return the text calls' options; ``max_tokens=None`` leaves :func:`_request`'s default."""
    options = RequestOptions(
        system=system, temperature=temperature, top_p=top_p, stop_sequences=stop_sequences
    )
    if max_tokens is not None:
        options["max_tokens"] = max_tokens
    return options


def stream_text(
    prompt_or_messages: str | Messages,
    *,
    model_id: str,
    api: Api = "converse",
    client: Any = None,
    system: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
    family: str | None = None,
    retry: RetryPolicy | None = None,
) -> TextStream:
    """Stream the answer as text deltas: the text view of :func:`stream_events`.

    ``max_tokens=None`` is the default: 1024, or none for a prompt ARN.
    """
    options = _text_options(system, max_tokens, temperature, top_p, stop_sequences)
    invoke, arguments = _request(prompt_or_messages, model_id, api, family, options, stream=True)
    return TextStream(_streamed(client, invoke, arguments), retry or RetryPolicy())


@dataclass(frozen=True)
class Completion:
    """A buffered answer (:func:`complete_text`); :func:`complete_reply` gives everything."""

    text: str
    stop: Stop
    usage: Usage | None
    metrics: Metrics | None
    tool_uses: list[dict[str, Any]]
    trace: Trace | None = None


def complete_text(
    prompt_or_messages: str | Messages,
    *,
    model_id: str,
    api: Api = "converse",
    client: Any = None,
    system: str | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
    family: str | None = None,
    retry: RetryPolicy | None = None,
) -> Completion:
    """Buffered counterpart of :func:`stream_text` (Converse or InvokeModel), same errors."""
    options = _text_options(system, max_tokens, temperature, top_p, stop_sequences)
    invoke, arguments = _request(prompt_or_messages, model_id, api, family, options, stream=False)
    stream = TextStream(_buffered(client, invoke, arguments), retry or RetryPolicy())
    text = "".join(stream)
    assert stream.stop is not None  # the stream raises otherwise
    return Completion(
        text, stream.stop, stream.usage, stream.metrics, stream.tool_uses, stream.trace
    )
