"""A small evaluator of CloudFormation intrinsic functions, for asserting on translated templates.

It resolves what the reference template uses (Ref, Fn::Sub, Fn::Join, Fn::Select, Fn::Split,
Fn::If, Fn::Equals, Fn::Or, Fn::And, Fn::Not, Condition, AWS::NoValue) for given parameter
values, the way CloudFormation would at deploy time. Fn::GetAtt becomes "<Name.Attr>".
"""

from __future__ import annotations

import re
from typing import Any

NO_VALUE = object()

PSEUDO = {
    "AWS::Region": "us-west-2",
    "AWS::AccountId": "111122223333",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "stack",
}


class Evaluator:
    def __init__(self, template: dict[str, Any], parameters: dict[str, str]) -> None:
        defaults = {
            name: str(spec.get("Default"))
            for name, spec in (template.get("Parameters") or {}).items()
            if "Default" in spec
        }
        self.values: dict[str, Any] = {**PSEUDO, **defaults, **parameters}
        self.condition_specs = template.get("Conditions") or {}
        self.conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.eval(self.condition_specs[name]))
        return self.conditions[name]

    def eval(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.eval(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            handler = getattr(self, "_" + key.replace("::", "_").replace("Fn_", "fn_"), None)
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                assert handler is not None, f"unsupported intrinsic {key}"
                return handler(arg)
        return {k: v for k, v in ((k, self.eval(v)) for k, v in node.items()) if v is not NO_VALUE}

    def _Ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        return self.values.get(name, f"<{name}>")

    def _Condition(self, name: str) -> bool:
        return self.condition(name)

    def _fn_Sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else arg
        local = {k: self.eval(v) for k, v in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match[1]
            if name in local:
                return str(local[name])
            if "." in name:
                return f"<{name}>"
            return str(self._Ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def _fn_Join(self, arg: list[Any]) -> str:
        separator, items = arg
        return separator.join(str(v) for v in self.eval(items))

    def _fn_Select(self, arg: list[Any]) -> Any:
        index, items = arg
        return self.eval(items)[int(index)]

    def _fn_Split(self, arg: list[Any]) -> list[str]:
        separator, text = arg
        return str(self.eval(text)).split(separator)

    def _fn_If(self, arg: list[Any]) -> Any:
        name, yes, no = arg
        return self.eval(yes if self.condition(name) else no)

    def _fn_Equals(self, arg: list[Any]) -> bool:
        left, right = (self.eval(v) for v in arg)
        return str(left) == str(right)

    def _fn_Or(self, arg: list[Any]) -> bool:
        return any(self.eval(v) for v in arg)

    def _fn_And(self, arg: list[Any]) -> bool:
        return all(self.eval(v) for v in arg)

    def _fn_Not(self, arg: list[Any]) -> bool:
        return not self.eval(arg[0])

    def _fn_GetAtt(self, arg: Any) -> str:
        return f"<{arg if isinstance(arg, str) else '.'.join(arg)}>"
