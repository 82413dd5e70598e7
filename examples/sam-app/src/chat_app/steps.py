"""The chat route's agent loop: model call, the app's tool, model call again, in one request.

While the model asks for the calculator, the app runs it and calls the model again with the
result, up to ``max_steps`` model calls; the last call's tool requests are answered as
not run (an error output), so the conversation stays valid for its next request. Every
event goes out as it happens: each reply's events, then a :class:`ToolOutput` for each tool
the app ran.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bedrock_stream.bedrock import RequestOptions, tool_result_block
from bedrock_stream.bedrock.events import Event, ToolCall

from . import calculator
from .model import Model

TOOLS = {calculator.NAME: calculator.run}
STEP_LIMIT = "not run: the step limit was reached"
"""The tools the app runs itself, by name."""


@dataclass(frozen=True)
class ToolOutput:
    """What a tool the app ran answered a call: its output, or why it refused (``ok`` False)."""

    call_id: str
    text: str
    ok: bool


def steps(
    model: Model, messages: Sequence[Any], model_id: str, options: RequestOptions
) -> Iterator[Event | ToolOutput]:
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
        calls = [c for c in reply.tool_calls if c.type is None]  # Bedrock runs server tools
        if not calls or reply.stop is None or reply.stop.reason != "tool_use":
            return
        if step == model.settings.max_steps - 1:
            # Not run, but answered: a client echoes every call back, and one with no
            # output would make the conversation's next request invalid.
            yield from (ToolOutput(c.id, STEP_LIMIT, ok=False) for c in calls)
            return
        results = []
        for tool_call in calls:
            output = run_tool(tool_call)
            yield output
            status: Literal["success", "error"] = "success" if output.ok else "error"
            results.append(tool_result_block(tool_call.id, output.text, status=status))
        history += [reply.message, {"role": "user", "content": results}]


def run_tool(call: ToolCall) -> ToolOutput:
    """Run one tool call; a refusal (an unknown tool, input it does not take) is an output too."""
    run = TOOLS.get(call.name)
    if run is None:
        return ToolOutput(call.id, f"no tool named {call.name!r}", ok=False)
    if not isinstance(call.input, dict):
        return ToolOutput(call.id, "the tool's input must be a JSON object", ok=False)
    try:
        return ToolOutput(call.id, run(call.input), ok=True)
    except calculator.CalculatorError as exc:
        return ToolOutput(call.id, str(exc), ok=False)
