"""The reference app's own parts of a chat: its calculator, its bounds and its tool loop.

The tool loop runs against the Bedrock emulator with a real boto3 client, streamed
(ConverseStream) and buffered (Converse replayed as events), so a round trip is the
emulator's: it calls the tool the last user message names, then quotes the tool's result.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from app_loader import SRC
from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream import HTTPError
from bedrock_stream.bedrock.events import MessageStart, Stop, TextDelta, ToolCall
from bedrock_stream.local.bedrock.server import BedrockEmulator

sys.path.insert(0, str(SRC))  # as in Lambda: the app's directory holds its chat_app package
from chat_app import calculator, limits
from chat_app.model import Model
from chat_app.settings import Settings
from chat_app.steps import STEP_LIMIT, ToolOutput, steps

SETTINGS = Settings.from_environ({})


# -- the calculator --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "result"),
    [
        ("6*7", "42"),
        ("(2 + 3) * 4", "20"),
        ("2 ** 10", "1024"),
        ("7 / 2", "3.5"),
        ("7 // 2", "3"),
        ("-7 % 3", "2"),
        ("1.5 * 2", "3"),
    ],
)
def test_the_calculator_evaluates_arithmetic(expression: str, result: str) -> None:
    assert calculator.run({"expression": expression}) == result


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("__import__('os').system('true')", "only numbers"),
        ("open('/etc/passwd')", "only numbers"),
        ("(1).__class__", "only numbers"),
        ("x + 1", "only numbers"),
        ("[1, 2]", "only numbers"),
        ("'a' * 3", "only numbers"),
        ("1 if 1 else 2", "only numbers"),
        ("2 ** 1000", "exponents are at most 64"),
        ("9 ** 64 ** 2", "exponents are at most 64"),
        ("10.0 ** 64 * 10.0 ** 64", "too large"),
        ("1 / 0", "division by zero"),
        ("(-8) ** 0.5", "not a real number"),
        ("1 +", "not an arithmetic expression"),
        ("1" * 201, "longer than 200"),
    ],
)
def test_the_calculator_refuses_anything_else(expression: str, reason: str) -> None:
    with pytest.raises(calculator.CalculatorError, match=reason):
        calculator.run({"expression": expression})


def test_the_calculator_needs_a_string() -> None:
    with pytest.raises(calculator.CalculatorError, match="must be a string"):
        calculator.run({"expression": 42})


OPERATORS: dict[str, Callable[[int, int], int]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "//": operator.floordiv,
    "%": operator.mod,
}


@given(
    st.integers(-(10**12), 10**12),
    st.sampled_from(sorted(OPERATORS)),
    st.integers(-(10**12), 10**12).filter(bool),
)
def test_integer_arithmetic_is_python_arithmetic(left: int, op: str, right: int) -> None:
    assert calculator.evaluate(f"{left} {op} ({right})") == OPERATORS[op](left, right)


# -- the bounds ------------------------------------------------------------------------------


def _user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"text": text}]}


def _assistant(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"text": text}]}


@pytest.mark.parametrize(
    ("messages", "options", "reason"),
    [
        ([], {}, "no messages"),
        ([_user("hi"), _assistant("hello")], {}, "the last message must be the user's"),
        ([_user("  ")], {}, "a user message is empty"),
        ([_user("x" * 2001)], {}, "longer than 2000 characters"),
        ([_user("a"), _assistant("b")] * 20 + [_user("c")], {}, "more than 40 messages"),
        ([_user("x" * 1500), _assistant("y" * 2600), _user("z")], {}, "longer than 4000"),
        ([_user("hi")], {"system": "s" * 4000}, "longer than 4000"),
        ([_user("hi")], {"tools": [{"toolSpec": {"description": "d" * 4000}}]}, "4000"),
        (
            [{"role": "user", "content": [{"image": {"source": {"bytes": b"\0" * 4001}}}]}],
            {},
            "longer than 4000",
        ),
    ],
)
def test_a_conversation_past_a_bound_is_refused(
    messages: list[dict[str, Any]], options: dict[str, Any], reason: str
) -> None:
    with pytest.raises(HTTPError, match=reason) as refused:
        limits.check(messages, options, SETTINGS, HTTPError)
    assert refused.value.status_code == 400


def test_a_conversation_within_the_bounds_passes() -> None:
    messages = [_user("x" * 2000), _assistant("y" * 1900), _user("z")]
    limits.check(messages, {"system": "be brief"}, SETTINGS, HTTPError)


# -- the tool loop ---------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False])
def test_a_tool_round_trip_in_one_turn(bedrock_emulator: BedrockEmulator, streaming: bool) -> None:
    model = Model(SETTINGS, client=None, retry=None, streaming=streaming)
    ask = [_user("Use the calculator: expression=6*7")]
    events = list(steps(model, ask, SETTINGS.model_id, {"max_tokens": 200}))

    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert (call.name, call.input) == ("calculator", {"expression": "6*7"})
    (output,) = [e for e in events if isinstance(e, ToolOutput)]
    assert output == ToolOutput(call.id, "42", ok=True)
    stop = next(i for i, e in enumerate(events) if isinstance(e, Stop))
    second = [i for i, e in enumerate(events) if isinstance(e, MessageStart)][1]
    assert stop < events.index(output) < second, "between the two model calls"
    stops = [e.reason for e in events if isinstance(e, Stop)]
    assert stops == ["tool_use", "end_turn"]
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert answer.startswith("The calculator tool returned: 42")

    first, second = bedrock_emulator.requests
    assert first.body["toolConfig"]["tools"] == [calculator.SPEC]
    results = second.body["messages"][-1]["content"]
    assert results == [
        {"toolResult": {"toolUseId": call.id, "content": [{"text": "42"}], "status": "success"}}
    ]


def test_a_refused_expression_goes_back_to_the_model_as_an_error(
    bedrock_emulator: BedrockEmulator,
) -> None:
    model = Model(SETTINGS, client=None, retry=None, streaming=True)
    ask = [_user("Use the calculator: expression=1/0")]
    events = list(steps(model, ask, SETTINGS.model_id, {"max_tokens": 200}))
    (output,) = [e for e in events if isinstance(e, ToolOutput)]
    assert (output.text, output.ok) == ("division by zero", False)
    answer = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert answer.startswith("The calculator tool returned: division by zero")


def test_the_step_limit_ends_the_turn_without_running_the_last_calls_tools(
    bedrock_emulator: BedrockEmulator,
) -> None:
    model = Model(replace(SETTINGS, max_steps=1), client=None, retry=None, streaming=True)
    ask = [_user("Use the calculator: expression=6*7")]
    events = list(steps(model, ask, SETTINGS.model_id, {"max_tokens": 200}))
    assert [e.reason for e in events if isinstance(e, Stop)] == ["tool_use"]
    calls = [e for e in events if isinstance(e, ToolCall)]
    outputs = [e for e in events if isinstance(e, ToolOutput)]
    # answered as not run, so the client's next request holds a call with an output
    assert [(o.call_id, o.text, o.ok) for o in outputs] == [
        (c.id, STEP_LIMIT, False) for c in calls
    ]
    assert calls and len(bedrock_emulator.requests) == 1
