"""The reference app README's worst-case spend table, recomputed from the template itself.

The bound follows the README's own rules: the template's parameter defaults (caps, timeouts,
memory, quota, throttles, the chat's step limit), the app's system prompt and tool, and the
prices the README states; one request is the costliest of the app's routes. A
default that changes without the table changing fails here, and so does a table edited by
hand.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from app_loader import SRC

SAM_APP = Path(__file__).parents[2] / "examples" / "sam-app"
README = SAM_APP / "README.md"

INPUT_PER_TOKEN = Decimal(3) / 10**6
OUTPUT_PER_TOKEN = Decimal(15) / 10**6
LAMBDA_PER_GB_SECOND = Decimal("0.0000133334")
LAMBDA_PER_REQUEST = Decimal("0.20") / 10**6
API_GATEWAY_PER_REQUEST = Decimal("3.50") / 10**6
TOKENS_PER_CHARACTER = 4  # a token covers at least one UTF-8 byte; a character is at most 4
FRAMING_TOKENS = 100


def _template() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    document: dict[str, Any] = yaml_parse((SAM_APP / "template.yaml").read_text())
    return document


def _default(template: dict[str, Any], name: str) -> int:
    return int(template["Parameters"][name]["Default"])


def _system_prompt() -> str:
    tree = ast.parse((SRC / "chat_app" / "settings.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SYSTEM_PROMPT":
            return str(ast.literal_eval(node.value))
    raise AssertionError("chat_app/settings.py has no SYSTEM_PROMPT")


def _tool() -> tuple[int, int]:
    """The app's tool: its definition's characters, and its longest output's."""
    sys.path.insert(0, str(SRC))
    try:
        from chat_app import calculator
    finally:
        sys.path.remove(str(SRC))
    return len(json.dumps(calculator.SPEC)), calculator.MAX_OUTPUT_CHARS


def _tokens(template: dict[str, Any], max_tokens: int) -> tuple[int, int]:
    """The input and output tokens of the costliest request, over the app's routes."""
    system = len(_system_prompt())
    spec, output = _tool()
    conversation = _default(template, "MaxConversationChars")
    steps = _default(template, "MaxSteps")
    ask = TOKENS_PER_CHARACTER * (_default(template, "MaxMessageChars") + system)
    # An OpenAI client's system messages and tools count in its conversation's bound.
    completion = TOKENS_PER_CHARACTER * conversation
    # A chat request calls the model once per step, each time with the steps before it:
    # the model's output (at most max_tokens) and the tool's output.
    first = TOKENS_PER_CHARACTER * (conversation + system + spec)
    step = max_tokens + TOKENS_PER_CHARACTER * output
    chat = sum(first + FRAMING_TOKENS + k * step for k in range(steps))
    return max(ask + FRAMING_TOKENS, completion + FRAMING_TOKENS, chat), steps * max_tokens


def _lambda(seconds: int, megabytes: int) -> Decimal:
    return Decimal(seconds) * Decimal(megabytes) / 1024 * LAMBDA_PER_GB_SECOND + LAMBDA_PER_REQUEST


def _money(value: Decimal, places: str) -> str:
    return f"${value.quantize(Decimal(places), rounding=ROUND_HALF_UP):,}"


def _computed() -> dict[str, list[str]]:
    template = _template()
    resources = template["Resources"]
    memory = int(template["Globals"]["Function"]["MemorySize"])

    def model(max_tokens: int) -> Decimal:
        tokens_in, tokens_out = _tokens(template, max_tokens)
        return tokens_in * INPUT_PER_TOKEN + tokens_out * OUTPUT_PER_TOKEN

    streamed = (
        model(_default(template, "StreamingMaxTokens"))
        + _lambda(_default(template, "StreamingTimeout"), memory)
        + API_GATEWAY_PER_REQUEST
    )
    buffered = (
        model(_default(template, "BufferedMaxTokens"))
        + _lambda(int(resources["BufferedFunction"]["Properties"]["Timeout"]), memory)
        + API_GATEWAY_PER_REQUEST
    )
    authorizer = resources["KeyAuthorizerFunction"]["Properties"]
    authorized = _lambda(int(authorizer["Timeout"]), int(authorizer["MemorySize"]))
    one = f"{_money(streamed + authorized, '0.0001')} / {_money(buffered + authorized, '0.0001')}"

    quota = _default(template, "QuotaPerDay")
    # An hour across UTC midnight takes the end of one day's quota and the start of the next.
    keyed_hour = min(
        2 * quota, _default(template, "KeyBurstLimit") + _default(template, "KeyRateLimit") * 3600
    )
    worst = max(streamed, buffered) + authorized
    rate, burst = (
        _default(template, "ThrottlingRateLimit"),
        _default(template, "ThrottlingBurstLimit"),
    )
    open_hour, open_day = burst + rate * 3600, burst + rate * 86400
    both = streamed + buffered
    return {
        "API_KEY": [
            f"{keyed_hour:,}",
            f"{quota:,}",
            one,
            _money(keyed_hour * worst, "0.01"),
            _money(quota * worst, "0.01"),
        ],
        "IAM or NONE": [
            f"{open_hour:,} per API",
            f"{open_day:,} per API",
            f"{_money(streamed, '0.0001')} / {_money(buffered, '0.0001')}",
            _money(open_hour * both, "0.01"),
            _money(open_day * both, "0.01"),
        ],
    }


def _published() -> dict[str, list[str]]:
    text = README.read_text()
    table = re.search(r"<!-- spend-table:[^>]*-->\n(.*?)<!-- /spend-table -->", text, re.S)
    assert table is not None, "the README's spend table has lost its markers"
    rows = {}
    for line in table[1].strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        mode = re.sub(r"`| \(default\)", "", cells[0])
        rows[mode] = [cells[2], cells[3], cells[4], cells[5], cells[6]]
    return rows


def test_the_readme_table_is_the_templates_worst_case() -> None:
    assert _published() == _computed()


@pytest.mark.parametrize(
    "stated",
    [
        "$3 per million input and $15 per\n  million output tokens",
        "$0.0000133334 per GB-second and $0.20 per million\n  requests",
        "$3.50 per million requests",
        "counted as 4 tokens per character",
        "plus an allowance of 100 tokens for the message framing (not measured)",
    ],
)
def test_the_readme_states_the_assumptions_the_table_uses(stated: str) -> None:
    assert stated in README.read_text()


def test_the_readme_bounds_what_callers_without_a_key_cost() -> None:
    # They are refused, but each refusal runs the authorizer and is an API Gateway request.
    template = _template()
    authorizer = template["Resources"]["KeyAuthorizerFunction"]["Properties"]
    refusal = _lambda(int(authorizer["Timeout"]), int(authorizer["MemorySize"]))
    refusal += API_GATEWAY_PER_REQUEST
    rate, burst = (
        _default(template, "ThrottlingRateLimit"),
        _default(template, "ThrottlingBurstLimit"),
    )
    hour = 2 * (burst + rate * 3600) * refusal
    sentence = f"at most {_money(hour, '0.01')} an hour more, both APIs together"
    assert sentence in " ".join(README.read_text().split())


def test_the_default_bound_is_modest() -> None:
    # The careful default: a day of the shipped app costs at most a few dollars per key;
    # the open modes are explicit choices with their bound printed beside them.
    keyed = _computed()["API_KEY"]
    assert Decimal(keyed[-1].lstrip("$").replace(",", "")) < 10
