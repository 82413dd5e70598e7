"""How a translated template names its parts, and the error for one that cannot run.

``Ref`` and ``Fn::GetAtt`` name a resource (:func:`ref`). A Lambda integration's or a Lambda
authorizer's URI names its function inside ``Fn::Sub`` text, an ``Fn::Sub`` with a variable
map, or CDK's ``Fn::Join`` (:func:`sub_text` reads all three as ``Fn::Sub`` text;
:func:`lambda_target` finds the function in it). :func:`flag` reads a boolean property and
refuses what it cannot read, so that a protected route is never taken for an open one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bedrock_stream.errors import LocalStackError
from bedrock_stream.local.intrinsics import cfn_string

__all__ = ["TemplateError", "flag", "function_aliases", "lambda_target", "ref", "sub_text"]


class TemplateError(LocalStackError, ValueError):
    """A template that cannot be read or translated; the message says where."""


_LAMBDA_URI = re.compile(
    r"/(?P<version>2015-03-31|2021-11-15)/functions/(?P<target>.+)/"
    r"(?P<kind>invocations|response-streaming-invocations)$"
)
_ARN_REF = re.compile(r"^\$\{(?P<name>[A-Za-z0-9]+)(?P<arn>\.Arn)?\}(:[A-Za-z0-9$_-]+)?$")


def lambda_target(
    uri: Any, aliases: Mapping[str, str] | None = None
) -> tuple[re.Match[str] | None, str | None]:
    """Read an API Gateway URI that invokes a Lambda function.

    Returns the URI's match (groups ``version``, ``target`` and ``kind``: ``invocations`` or
    ``response-streaming-invocations``), or None when it invokes no function, and the logical
    id of the function when the target is one of the template's: its ``${Fn.Arn}``, qualified
    or not (``${Fn.Arn}:live``), or the ``${Alias}`` of one of ``aliases`` (an
    ``AWS::Lambda::Alias``'s logical id to its function's, :func:`function_aliases`), whose
    ``Ref`` is the alias's ARN. A version or an alias runs the function's one local code.
    """
    found = _LAMBDA_URI.search(sub_text(uri) or "")
    target = _ARN_REF.match(found["target"]) if found else None
    if target is None:
        return found, None
    if target["arn"]:
        return found, target["name"]
    return found, (aliases or {}).get(target["name"])


def function_aliases(resources: Mapping[str, Any]) -> dict[str, str]:
    """Map each ``AWS::Lambda::Alias``'s logical id to its function's.

    SAM's ``AutoPublishAlias`` makes one, ``<Function>Alias<name>``.
    """
    found = {}
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::Lambda::Alias":
            function = ref((resource.get("Properties") or {}).get("FunctionName"))
            if function is not None:
                found[name] = function
    return found


def flag(where: str, name: str, value: Any) -> bool:
    """Read a boolean property; anything else is an error, never a silent ``False``."""
    text = cfn_string(value).lower() if isinstance(value, bool | str) else None
    if text not in ("true", "false"):
        raise TemplateError(f"{where}: {name} {value!r} cannot be read offline")
    return text == "true"


def sub_text(uri: Any) -> str | None:
    """Return the text of a URI in ``Fn::Sub`` syntax, or None.

    The URI may be a string, ``Fn::Sub: text``, ``Fn::Sub: [text, vars]``, or an ``Fn::Join``
    of strings and ``Fn::GetAtt`` / ``Ref`` (CDK's form).
    """
    if isinstance(uri, str):
        return uri
    join = uri.get("Fn::Join") if isinstance(uri, dict) else None
    if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
        parts = []
        for part in join[1]:
            target = ref(part)
            if isinstance(part, str):
                parts.append(part)
            elif target is not None:
                suffix = ".Arn" if "Fn::GetAtt" in part else ""
                parts.append("${" + target + suffix + "}")
            else:
                return None
        return str(join[0]).join(parts)
    if isinstance(uri, dict) and "Fn::Sub" in uri:
        sub = uri["Fn::Sub"]
        if isinstance(sub, str):
            return sub
        if isinstance(sub, list) and len(sub) == 2:
            text, variables = sub
            for variable, value in (variables or {}).items():
                target = ref(value) if isinstance(value, dict) else None
                if target is not None:
                    text = text.replace("${" + variable + "}", "${" + target + ".Arn}")
            return str(text)
    return None


def ref(value: Any) -> str | None:
    """Return the logical id named by ``Ref: X`` or ``Fn::GetAtt: [X, Arn]``."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        get_att = value.get("Fn::GetAtt")
        if isinstance(get_att, list) and get_att:
            return str(get_att[0])
        if isinstance(get_att, str):
            return get_att.split(".", 1)[0]
    return None
