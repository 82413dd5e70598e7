"""The chat route's agent loop: model call, the app's tool, model call again, in one request.

While the model asks for the calculator, the app runs it and calls the model again with the
result, up to ``max_steps`` model calls; the last call's tool requests are not run. Every
event goes out as it happens: each reply's events, then each tool's output as the
:class:`~bedrock_stream.bedrock.events.ToolResultStart` / ``ToolResultDelta`` / ``BlockStop``
of a tool the server ran (``status`` ``error`` when it refused its input).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from bedrock_stream.bedrock import RequestOptions, tool_result_block
from bedrock_stream.bedrock.events import (
    BlockStop,
    Event,
    ToolCall,
    ToolResultDelta,
    ToolResultStart,
)

from . import calculator
from .model import Model

TOOLS = {calculator.NAME: calculator.run}
"""The tools the app runs itself, by name."""


def steps(
    model: Model, messages: Sequence[Any], model_id: str, options: RequestOptions
) -> Iterator[Event]:
    """Yield every event of the conversation's next turn, tool round trips included."""
    history = list(messages)
    options = RequestOptions(**options, tools=[calculator.SPEC])
    for step in range(model.settings.max_steps):
        call = model.call(history, model_id, options)
        try:
            yield from call
        finally:
            call.close()
        reply = call.reply()
        last = step == model.settings.max_steps - 1
        if last or not reply.tool_calls or reply.stop is None or reply.stop.reason != "tool_use":
            return
        results = []
        for tool_call in reply.tool_calls:
            text, status = run_tool(tool_call)
            yield ToolResultStart(tool_call.id, tool_call.index, status=status)
            yield ToolResultDelta(({"text": text},), tool_call.index)
            yield BlockStop(tool_call.index)
            results.append(tool_result_block(tool_call.id, text, status=status))
        history += [reply.message, {"role": "user", "content": results}]


def run_tool(call: ToolCall) -> tuple[str, Any]:
    """Run one tool call: its output text and ``"success"``, or the refusal and ``"error"``."""
    run = TOOLS.get(call.name)
    if run is None:
        return f"no tool named {call.name!r}", "error"
    if not isinstance(call.input, dict):
        return "the tool's input must be a JSON object", "error"
    try:
        return run(call.input), "success"
    except calculator.CalculatorError as exc:
        return str(exc), "error"
