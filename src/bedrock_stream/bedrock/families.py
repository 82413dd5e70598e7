"""The model families, and resolving one from a Bedrock model id (the invoke API needs it).

What each family's format is lives in :mod:`.family` (its model id prefixes too).
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from .errors import UnknownModelError
from .family import CODECS

__all__ = ["Family", "base_model_id", "resolve_family"]

Family = Literal[
    "anthropic",
    "amazon-nova",
    "amazon-titan-text",
    "meta-llama",
    "mistral",
    "cohere-command",
    "cohere-command-r",
    "ai21-jamba",
    "ai21-jurassic",
    "deepseek",
    "openai",
]
FAMILIES: tuple[str, ...] = get_args(Family)

# Region-group prefixes of system inference profiles: us., eu., apac., global., us-gov., ...
_PROFILE_PREFIX = re.compile(r"^(?:[a-z]{2,6}(?:-[a-z]+)?\.)(?=[a-z0-9-]+\.)")
_ARN = re.compile(r"^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:(?P<kind>[a-z-]+)/(?P<rest>.+)$")

_PREFIXES: tuple[tuple[str, Family], ...] = tuple(
    (prefix, family) for family, codec in CODECS.items() for prefix in codec.prefixes
)


def _from_base_id(model: str) -> Family | None:
    # The longest prefix wins: "cohere.command-r" over "cohere.command".
    best: tuple[str, Family] | None = None
    for prefix, family in _PREFIXES:
        if model.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = prefix, family
    return None if best is None else best[1]


def base_model_id(model_id: str) -> str:
    """Return the foundation model id in ``model_id``, lowercased: no ARN, no ``us.`` prefix.

    ``arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2`` and
    ``us.anthropic.claude-v2`` both give ``anthropic.claude-v2``. An id of no known
    family comes back without its ARN wrapping only.
    """
    model = model_id.strip().lower()
    arn = _ARN.match(model)
    if arn:
        model = arn.group("rest")
    if _from_base_id(model) is None:
        stripped = _PROFILE_PREFIX.sub("", model, count=1)
        if _from_base_id(stripped) is not None:
            return stripped
    return model


def resolve_family(model_id: str, family: str | None = None) -> Family:
    """Return the family of ``model_id``; an explicit ``family`` wins.

    Accepts foundation model ids, system inference profile ids (``us.``, ``eu.``,
    ``apac.``, ``global.`` ...) and their ARNs. Application inference profiles and
    provisioned-throughput ARNs name no model, so they need ``family``.

    Raises:
        UnknownModelError: the family cannot be determined (never guessed).
    """
    if family is not None:
        if family not in FAMILIES:
            raise UnknownModelError(f"unknown family {family!r}; expected one of {FAMILIES}")
        return family  # type: ignore[return-value]
    arn = _ARN.match(model_id.strip().lower())
    if arn and arn.group("kind") not in ("foundation-model", "inference-profile"):
        raise UnknownModelError(
            f"{arn.group('kind')} ARNs do not name a model; pass family= (one of {FAMILIES})"
        )
    found = _from_base_id(base_model_id(model_id))
    if found is None:
        raise UnknownModelError(
            f"cannot tell the model family of {model_id!r}; pass family= (one of {FAMILIES})"
        )
    return found
