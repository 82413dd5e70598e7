"""CloudFormation intrinsic functions and conditions, evaluated for given parameter values.

A template deploys differently for different parameters: a resource with a ``Condition``
exists or not, an ``Fn::If`` picks one branch, ``AWS::NoValue`` removes a property. The
local stack must see the template as CloudFormation would deploy it, so it evaluates them
here, free of I/O:

* :meth:`Intrinsics.condition` evaluates a named condition (``Fn::Equals``, ``Fn::And``,
  ``Fn::Or``, ``Fn::Not``, ``Condition``, over parameter values);
* :meth:`Intrinsics.prune` resolves only ``Fn::If`` and ``AWS::NoValue``, leaving the other
  functions for the template reader, which reads ``Fn::Sub`` and ``Fn::GetAtt`` as
  references to resources;
* :meth:`Intrinsics.evaluate` resolves every function it knows (``Ref``, ``Fn::Sub``,
  ``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::If``, ``Fn::FindInMap`` and the
  condition functions). What only a deployment knows (a resource's ``Ref`` or
  ``Fn::GetAtt``) goes to the ``unresolved`` callback, which by default refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from bedrock_stream.errors import LocalStackError

__all__ = ["NO_VALUE", "IntrinsicError", "Intrinsics", "cfn_string"]


class IntrinsicError(LocalStackError, ValueError):
    """An intrinsic function that cannot be evaluated; the message says which."""


class _NoValue:
    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Any = _NoValue()
"""What ``Ref: AWS::NoValue`` evaluates to; removed from the lists and mappings around it."""

Unresolved = Callable[[str, Any], Any]
"""Called with a function's name (``Ref`` or ``Fn::GetAtt``) and argument it cannot resolve."""

_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]+)\}")
"""``${Name}``, or ``${!Name}``: the literal text ``${Name}``."""


def cfn_string(value: Any) -> str:
    """Return a scalar as CloudFormation sees it: ``true`` / ``false``, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refuse(name: str, argument: Any) -> Any:
    raise IntrinsicError(f"{name} {argument!r}: only a deployment knows its value")


class Intrinsics:
    """Evaluate a template's intrinsic functions for fixed parameter values.

    Args:
        values: parameter and pseudo parameter values by name (``AWS::Region`` ...).
        conditions: the template's ``Conditions`` section.
        mappings: the template's ``Mappings`` section, for ``Fn::FindInMap``.
        unresolved: what a ``Ref`` to a resource or an ``Fn::GetAtt`` evaluates to;
            by default an :class:`IntrinsicError`.
    """

    def __init__(
        self,
        values: Mapping[str, Any],
        conditions: Mapping[str, Any] | None = None,
        *,
        mappings: Mapping[str, Any] | None = None,
        unresolved: Unresolved = _refuse,
    ) -> None:
        self.values = dict(values)
        self._specs = dict(conditions or {})
        self._mappings = dict(mappings or {})
        self._unresolved = unresolved
        self._known: dict[str, bool] = {}
        self._evaluating: set[str] = set()
        self._functions: Mapping[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Condition": self.condition,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::And": lambda argument: all(self._truth(item) for item in argument),
            "Fn::Or": lambda argument: any(self._truth(item) for item in argument),
            "Fn::Not": lambda argument: not self._truth(argument[0]),
            "Fn::FindInMap": self._find_in_map,
            "Fn::GetAtt": lambda argument: self._unresolved("Fn::GetAtt", argument),
        }

    def condition(self, name: str) -> bool:
        """Whether the condition ``name`` holds.

        Raises:
            IntrinsicError: it is not defined, refers to itself, or cannot be evaluated.
        """
        if name in self._known:
            return self._known[name]
        if name not in self._specs:
            raise IntrinsicError(f"condition {name!r} is not defined")
        if name in self._evaluating:
            raise IntrinsicError(f"condition {name!r} refers to itself")
        self._evaluating.add(name)
        try:
            held = self._truth(self._specs[name])
        finally:
            self._evaluating.discard(name)
        self._known[name] = held
        return held

    def evaluate(self, node: Any) -> Any:
        """Return ``node`` with every intrinsic function resolved and ``NO_VALUE`` removed."""
        return self._walk(node, self._functions)

    def prune(self, node: Any) -> Any:
        """Return ``node`` with its ``Fn::If`` resolved and ``AWS::NoValue`` removed only."""
        return self._walk(node, {"Fn::If": self._pruned_if, "Ref": self._pruned_ref})

    def _walk(self, node: Any, functions: Mapping[str, Callable[[Any], Any]]) -> Any:
        if isinstance(node, list):
            items = (self._walk(item, functions) for item in node)
            return [item for item in items if item is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((name, argument),) = node.items()
            function = functions.get(name)
            if function is not None:
                try:
                    return function(argument)
                except IntrinsicError:
                    raise
                except (ValueError, TypeError, KeyError, IndexError, AttributeError):
                    raise IntrinsicError(f"{name}: malformed arguments {argument!r}") from None
            if name.startswith("Fn::") and functions is self._functions:
                raise IntrinsicError(f"{name} is not supported")
        walked = ((key, self._walk(value, functions)) for key, value in node.items())
        return {key: value for key, value in walked if value is not NO_VALUE}

    def _truth(self, node: Any) -> bool:
        value = self.evaluate(node)
        if not isinstance(value, bool):
            raise IntrinsicError(f"a condition must be true or false, not {value!r}")
        return value

    def _ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.values:
            return self.values[name]
        return self._unresolved("Ref", name)

    def _pruned_ref(self, name: Any) -> Any:
        return NO_VALUE if name == "AWS::NoValue" else {"Ref": name}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        local = {key: self.evaluate(value) for key, value in (variables or {}).items()}

        def replace(found: re.Match[str]) -> str:
            literal, name = found[1], found[2]
            if literal:
                return "${" + name + "}"
            if name in local:
                return str(local[name])
            if "." in name and name not in self.values:
                resource, _, attribute = name.partition(".")
                return str(self._unresolved("Fn::GetAtt", [resource, attribute]))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, str(text))

    def _join(self, argument: Any) -> str:
        separator, items = argument
        return str(separator).join(str(item) for item in self.evaluate(items))

    def _select(self, argument: Any) -> Any:
        index, items = argument
        values = self.evaluate(items)
        position = int(self.evaluate(index))
        if not 0 <= position < len(values):
            raise IntrinsicError(f"Fn::Select: index {position} out of range")
        return values[position]

    def _split(self, argument: Any) -> list[str]:
        separator, text = argument
        return str(self.evaluate(text)).split(str(separator))

    def _if(self, argument: Any) -> Any:
        name, yes, no = argument
        return self.evaluate(yes if self.condition(name) else no)

    def _pruned_if(self, argument: Any) -> Any:
        name, yes, no = argument
        return self.prune(yes if self.condition(name) else no)

    def _equals(self, argument: Any) -> bool:
        left, right = (self.evaluate(item) for item in argument)
        return cfn_string(left) == cfn_string(right)

    def _find_in_map(self, argument: Any) -> Any:
        name, top, second = (self.evaluate(item) for item in argument)
        try:
            return self._mappings[name][top][second]
        except (KeyError, TypeError):
            raise IntrinsicError(f"Fn::FindInMap: {name}/{top}/{second} is not mapped") from None
