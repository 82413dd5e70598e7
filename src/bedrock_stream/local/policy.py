"""The IAM policy a Lambda authorizer returns, evaluated as API Gateway evaluates it.

A policy is a list of statements, each an ``Effect`` (``Allow`` or ``Deny``) on some
``Action`` values and some ``Resource`` ARNs. For one action on one resource: a matching
``Deny`` wins over everything, else a matching ``Allow`` allows, else the request is denied
implicitly. In both fields ``*`` matches any run of characters (``/`` and ``:`` included)
and ``?`` any one character; actions compare without regard to case, resources with it.

:func:`parse` refuses a document API Gateway could not use (no statements, an effect that
is neither ``Allow`` nor ``Deny``, a statement without actions or resources) with a
:class:`PolicyError`, which the gateway answers as an authorizer configuration error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bedrock_stream.errors import LocalStackError

__all__ = ["Policy", "PolicyError", "Statement", "Verdict", "parse"]

Verdict = Literal["allow", "explicit-deny", "implicit-deny"]
"""The outcome for one action on one resource."""


class PolicyError(LocalStackError, ValueError):
    """A policy document API Gateway cannot evaluate; the message says why."""


@dataclass(frozen=True)
class Statement:
    """One statement: an effect on the actions and resources its patterns match."""

    effect: Literal["Allow", "Deny"]
    actions: tuple[re.Pattern[str], ...]
    resources: tuple[re.Pattern[str], ...]

    def applies(self, action: str, resource: str) -> bool:
        """Whether this statement covers ``action`` on ``resource``."""
        return any(p.fullmatch(action) for p in self.actions) and any(
            p.fullmatch(resource) for p in self.resources
        )


@dataclass(frozen=True)
class Policy:
    """A parsed policy document."""

    statements: tuple[Statement, ...]

    def evaluate(self, action: str, resource: str) -> Verdict:
        """Decide ``action`` (e.g. ``execute-api:Invoke``) on ``resource`` (a method ARN)."""
        applying = [s.effect for s in self.statements if s.applies(action, resource)]
        if "Deny" in applying:
            return "explicit-deny"
        return "allow" if applying else "implicit-deny"


def parse(document: Any) -> Policy:
    """Read a policy document (a mapping with ``Statement``).

    Raises:
        PolicyError: the document has no statements, or a statement is malformed.
    """
    if not isinstance(document, dict):
        raise PolicyError("the policy document is not an object")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise PolicyError("the policy document has no Statement")
    return Policy(tuple(_statement(index, item) for index, item in enumerate(statements)))


def _statement(index: int, item: Any) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(item, dict):
        raise PolicyError(f"{where} is not an object")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{where}: Effect must be Allow or Deny, not {effect!r}")
    actions = _patterns(where, "Action", item.get("Action"), re.IGNORECASE | re.DOTALL)
    resources = _patterns(where, "Resource", item.get("Resource"), re.DOTALL)
    return Statement(effect, actions, resources)


def _patterns(where: str, name: str, value: Any, flags: int) -> tuple[re.Pattern[str], ...]:
    values: Sequence[Any] = [value] if isinstance(value, str) else value or ()
    if not isinstance(values, list | tuple) or not values:
        raise PolicyError(f"{where}: {name} must be a string or a non-empty list")
    if not all(isinstance(text, str) for text in values):
        raise PolicyError(f"{where}: every {name} must be a string")
    return tuple(re.compile(_wildcards(text), flags) for text in values)


def _wildcards(text: str) -> str:
    """Translate IAM's ``*`` and ``?`` into a regular expression matching the whole text."""
    return "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text
    )
