"""The app's one tool: a calculator that evaluates arithmetic safely (a parse tree, no eval).

It is harmless and deterministic: numbers, ``+ - * / // % **`` and parentheses, nothing else;
the expression, its exponents and its results are bounded, so no input runs for long.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

from bedrock_stream.bedrock import Tool, tool

NAME = "calculator"
MAX_EXPRESSION_CHARS = 200
MAX_EXPONENT = 64
MAX_MAGNITUDE = 1e100
MAX_OUTPUT_CHARS = 300
"""The longest output (a result or a refusal): what a tool round trip adds to the input."""

SPEC: Tool = tool(
    NAME,
    {
        "type": "object",
        "properties": {
            "expression": {
                "type": "string",
                "description": "Arithmetic such as (2 + 3) * 4: numbers, + - * / // % ** and ().",
            }
        },
        "required": ["expression"],
    },
    "Evaluate an arithmetic expression exactly; use it for any calculation.",
)

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Number]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Number]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


class CalculatorError(ValueError):
    """The expression is not arithmetic this calculator evaluates; the message says why."""


def run(arguments: Mapping[str, Any]) -> str:
    """Run the tool on its input (``{"expression": ...}``); the result as text.

    Raises:
        CalculatorError: the input is not an expression it evaluates.
    """
    expression = arguments.get("expression")
    if not isinstance(expression, str):
        raise CalculatorError("'expression' must be a string")
    value = evaluate(expression)
    text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return text[:MAX_OUTPUT_CHARS]


def evaluate(expression: str) -> Number:
    """Evaluate ``expression``: numbers, the arithmetic operators and parentheses only."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise CalculatorError("not an arithmetic expression") from None
    return _value(tree.body)


def _value(node: ast.expr) -> Number:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return _bounded(node.value)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise CalculatorError(f"exponents are at most {MAX_EXPONENT}")
        try:
            return _bounded(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise CalculatorError("division by zero") from None
        except OverflowError:
            raise CalculatorError("the result is too large") from None
    raise CalculatorError("only numbers, + - * / // % ** and parentheses are allowed")


def _bounded(value: Any) -> Number:
    if isinstance(value, complex):
        raise CalculatorError("the result is not a real number")
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise CalculatorError("the result is too large")
    return value  # type: ignore[no-any-return]
