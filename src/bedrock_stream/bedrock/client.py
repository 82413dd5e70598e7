"""The boto3 boundary: ``stream_text`` / ``complete_text``, retries, error mapping.

boto3/botocore are imported lazily, so importing this module costs nothing on
a function that never calls Bedrock. botocore exceptions are mapped to
:mod:`.errors` in exactly one place, :func:`_mapped_errors`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from .converse import converse_events, converse_response_events
from .errors import BedrockError, IncompleteStreamError, MalformedChunkError, error_for_code
from .events import (
    Event,
    Metrics,
    ReasoningDelta,
    Stop,
    TextDelta,
    ToolInputDelta,
    ToolUseStart,
    Trace,
    Usage,
)
from .families import Family, resolve_family
from .parsers import ChunkParser, parse_invoke_response
from .requests import Messages, build_converse_request, build_invoke_body

__all__ = [
    "Completion",
    "RetryPolicy",
    "TextStream",
    "complete_text",
    "default_client",
    "stream_text",
]

Api = Literal["converse", "invoke"]
DEFAULT_MAX_TOKENS = 1024
READ_TIMEOUT = 3600.0  # seconds; AWS recommends an hour for long generations

_client: Any = None
_client_lock = threading.Lock()


def default_client() -> Any:
    """Return the process-wide ``bedrock-runtime`` client, created on first use.

    Endpoint selection is boto3's own (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``,
    ``AWS_ENDPOINT_URL``); botocore makes one attempt only, so its retries never
    multiply with ours.
    """
    global _client
    with _client_lock:
        if _client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                read_timeout=READ_TIMEOUT,
                connect_timeout=10,
                retries={"mode": "standard", "total_max_attempts": 1},
            )
            _client = boto3.client("bedrock-runtime", config=config)
        return _client


@contextmanager
def _mapped_errors() -> Iterator[None]:
    """Map botocore exceptions to :class:`BedrockError`; the only place that does.

    A response body read after botocore has handed it over fails with urllib3's own
    errors (the connection cut, a read timeout mid-stream): those are a truncated answer.
    """
    from botocore.exceptions import BotoCoreError, ClientError
    from urllib3.exceptions import HTTPError as TransportError

    try:
        yield
    except ClientError as exc:  # includes EventStreamError (exception frames)
        error = exc.response.get("Error") or {}
        raise error_for_code(str(error.get("Code") or ""), str(error.get("Message") or "")) from exc
    except BotoCoreError as exc:
        raise BedrockError(f"{type(exc).__name__}: transport error", code="") from exc
    except TransportError as exc:
        message = f"the response broke off ({type(exc).__name__}): the answer is incomplete"
        raise IncompleteStreamError(message) from exc


@dataclass(frozen=True)
class RetryPolicy:
    """Retries before the first text delta: full-jitter exponential backoff in a time budget."""

    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 4.0
    budget: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random

    def delay(self, attempt: int, started: float) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or None to give up."""
        if attempt + 1 >= self.max_attempts:
            return None
        delay = float(self.rand()) * min(self.max_delay, self.base_delay * 2.0**attempt)
        if self.clock() - started + delay > self.budget:
            return None
        return delay


@dataclass
class _Outcome:
    stop: Stop | None = None
    usage: Usage | None = None
    metrics: Metrics | None = None
    trace: Trace | None = None
    reasoning: list[str] = field(default_factory=list)
    tool_uses: list[dict[str, Any]] = field(default_factory=list)

    def apply(self, event: Event) -> str | None:
        if isinstance(event, TextDelta):
            return event.text
        if isinstance(event, Stop):
            self.stop = event
        elif isinstance(event, Usage):
            self.usage = event
        elif isinstance(event, Metrics):
            if self.metrics is None or event.first_byte_latency_ms is not None:
                self.metrics = event
        elif isinstance(event, Trace):
            self.trace = event
        elif isinstance(event, ReasoningDelta):
            if event.text:
                self.reasoning.append(event.text)
        elif isinstance(event, ToolUseStart):
            self.tool_uses.append({"id": event.id, "name": event.name, "input_json": ""})
        elif isinstance(event, ToolInputDelta) and self.tool_uses:
            self.tool_uses[-1]["input_json"] += event.json
        return None


class TextStream:
    """Iterator of text deltas; ``stop``, ``usage``, ``metrics`` are set as they arrive.

    Raises a :class:`BedrockError` subclass on an exception frame, and
    :class:`IncompleteStreamError` when the stream ends without a stop event.
    ``close()`` (or leaving a ``yield from`` early) closes the HTTP response.
    """

    def __init__(
        self, call: Callable[[], Generator[Event, None, None]], retry: RetryPolicy
    ) -> None:
        self._call = call
        self._retry = retry
        self._outcome = _Outcome()
        self._gen: Generator[str, None, None] = self._run()
        self.attempts = 0

    @property
    def stop(self) -> Stop | None:
        """The stop event, once received."""
        return self._outcome.stop

    @property
    def usage(self) -> Usage | None:
        """Token usage, once received."""
        return self._outcome.usage

    @property
    def trace(self) -> Trace | None:
        """ConverseStream's trace (e.g. guardrail assessments), once received."""
        return self._outcome.trace

    @property
    def metrics(self) -> Metrics | None:
        """Invocation metrics, once received."""
        return self._outcome.metrics

    @property
    def reasoning_text(self) -> str:
        """Concatenated reasoning text (never part of the yielded text)."""
        return "".join(self._outcome.reasoning)

    @property
    def tool_uses(self) -> list[dict[str, Any]]:
        """``[{id, name, input_json}]`` per tool-use block."""
        return self._outcome.tool_uses

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._gen)

    def close(self) -> None:
        """Stop reading and close the HTTP response."""
        self._gen.close()

    def _run(self) -> Generator[str, None, None]:
        started = self._retry.clock()
        attempt = 0
        while True:
            self.attempts = attempt + 1
            self._outcome = _Outcome()
            yielded = False
            events = self._call()
            try:
                for event in events:
                    text = self._outcome.apply(event)
                    if text:
                        yielded = True
                        yield text
            except BedrockError as exc:
                delay = (
                    None if yielded or not exc.retryable else self._retry.delay(attempt, started)
                )
                if delay is None:
                    raise
                events.close()  # release the connection before waiting
                self._retry.sleep(delay)
                attempt += 1
                continue
            finally:
                events.close()  # closes the HTTP response, also on early exit
            if self._outcome.stop is None:
                raise IncompleteStreamError(
                    "the stream ended without a stop event; the answer is truncated"
                )
            return


def _decode_chunk(raw: Any) -> Any:
    if not isinstance(raw, bytes):  # a chunk event without its bytes member
        raise MalformedChunkError("a chunk has no bytes", code="")
    try:
        return json.loads(raw)
    except ValueError:
        raise MalformedChunkError("a chunk's bytes are not JSON", code="") from None


def stream_text(
    prompt_or_messages: str | Messages,
    *,
    model_id: str,
    api: Api = "converse",
    client: Any = None,
    system: str | None = None,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
    family: str | None = None,
    retry: RetryPolicy | None = None,
) -> TextStream:
    """Stream the answer as text deltas (ConverseStream or InvokeModelWithResponseStream)."""
    family_of_invoke, arguments = _request(
        prompt_or_messages,
        model_id,
        api,
        family,
        max_tokens=max_tokens,
        system=system,
        temperature=temperature,
        top_p=top_p,
        stop_sequences=stop_sequences,
    )

    def call() -> Generator[Event, None, None]:
        bedrock = client if client is not None else default_client()
        if family_of_invoke is None:
            with _mapped_errors():
                stream = bedrock.converse_stream(**arguments)["stream"]
            events: Callable[[Any], Iterable[Event]] = converse_events
        else:
            parser = ChunkParser(family_of_invoke)
            with _mapped_errors():
                stream = bedrock.invoke_model_with_response_stream(**arguments)["body"]

            def events(raw: Any) -> Iterable[Event]:
                chunk = raw.get("chunk")
                return () if chunk is None else parser.feed(_decode_chunk(chunk.get("bytes")))

        try:
            with _mapped_errors():
                for raw in stream:
                    yield from events(raw)
        finally:
            stream.close()

    return TextStream(call, retry or RetryPolicy())


def _request(
    prompt_or_messages: str | Messages,
    model_id: str,
    api: Api,
    family: str | None,
    **options: Any,
) -> tuple[Family | None, dict[str, Any]]:
    """Return the invoke API's model family (None for Converse) and the call's arguments."""
    if api == "invoke":
        resolved = resolve_family(model_id, family)
        body = json.dumps(build_invoke_body(resolved, prompt_or_messages, **options))
        arguments = {"body": body, "contentType": "application/json", "accept": "application/json"}
        return resolved, {"modelId": model_id, **arguments}
    if api == "converse":
        return None, build_converse_request(model_id, prompt_or_messages, **options)
    raise ValueError(f"api must be 'converse' or 'invoke', not {api!r}")


@dataclass(frozen=True)
class Completion:
    """A buffered answer."""

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
    max_tokens: int = DEFAULT_MAX_TOKENS,
    temperature: float | None = None,
    top_p: float | None = None,
    stop_sequences: Sequence[str] | None = None,
    family: str | None = None,
    retry: RetryPolicy | None = None,
) -> Completion:
    """Buffered counterpart of :func:`stream_text` (Converse or InvokeModel), same errors."""
    family_of_invoke, arguments = _request(
        prompt_or_messages,
        model_id,
        api,
        family,
        max_tokens=max_tokens,
        system=system,
        temperature=temperature,
        top_p=top_p,
        stop_sequences=stop_sequences,
    )

    def call() -> Generator[Event, None, None]:
        bedrock = client if client is not None else default_client()
        if family_of_invoke is None:
            with _mapped_errors():
                response = bedrock.converse(**arguments)
            yield from converse_response_events(response)
            return
        with _mapped_errors():
            response = bedrock.invoke_model(**arguments)
            raw = response["body"].read()
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        yield from parse_invoke_response(family_of_invoke, _decode_chunk(raw), headers)

    stream = TextStream(call, retry or RetryPolicy())
    text = "".join(stream)
    assert stream.stop is not None  # TextStream raises otherwise
    return Completion(
        text, stream.stop, stream.usage, stream.metrics, stream.tool_uses, stream.trace
    )
