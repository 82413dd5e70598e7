"""``POST /chat``: the AI SDK's UI message stream, what ``useChat`` sends and reads.

The request (UI messages) is parsed by :mod:`bedrock_stream.ui_message_stream`; the app
bounds the conversation, puts its system prompt before the client's system messages, offers
its calculator tool, and runs the tool
itself (:mod:`.steps`): one response carries every step, tool round trips included. On the
buffered API the whole event stream arrives at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bedrock_stream import HTTPError, StreamingResponse, ui_message_stream
from bedrock_stream.bedrock import Reasoning, RequestOptions
from bedrock_stream.bedrock.events import Event

from . import limits
from .model import Model, until_first_byte
from .request_body import json_text
from .settings import SYSTEM_PROMPT
from .steps import ToolOutput, steps


def refuse(status: int, message: str) -> HTTPError:
    """An error response as the chat route's clients read it: ``{"message": ...}``."""
    return HTTPError(status, message)


def answer(event: Mapping[str, Any], model: Model) -> StreamingResponse:
    """Answer the conversation's next turn as a UI message stream."""
    request = ui_message_stream.parse_request(json_text(event, refuse))
    settings = model.settings
    limits.check(request.messages, request.options, settings, refuse)
    theirs = request.options.get("system")
    system = f"{SYSTEM_PROMPT}\n\n{theirs}" if isinstance(theirs, str) and theirs else SYSTEM_PROMPT
    options = RequestOptions(system=system, max_tokens=settings.max_tokens)
    if settings.reasoning_budget:
        options["reasoning"] = Reasoning(budget_tokens=settings.reasoning_budget)
    encoder = ui_message_stream.UIMessageStreamEncoder()
    events = steps(model, request.messages, settings.model_id, options)
    chunks = until_first_byte(encoded(events, encoder), refuse, in_band=True, invalid=400)
    body: Iterator[bytes] | list[bytes] = chunks if model.streaming else [b"".join(chunks)]
    return StreamingResponse(
        body=body,
        headers=ui_message_stream.HEADERS,
        error_event=encoder.error,
    )


def encoded(
    events: Iterable[Event | ToolOutput], encoder: ui_message_stream.UIMessageStreamEncoder
) -> Iterator[bytes]:
    """The UI message stream of one turn: every step's chunks, the app's tool outputs between
    them, then ``finish`` and ``[DONE]``; a failure propagates (no ``[DONE]``)."""
    for item in events:
        if not isinstance(item, ToolOutput):
            yield encoder.event(item)
        elif item.ok:
            yield encoder.tool_output(item.call_id, item.text)
        else:
            yield encoder.tool_error(item.call_id, item.text)
    yield encoder.end()
