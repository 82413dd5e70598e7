"""The model families, and resolving one from a Bedrock model id (the invoke API needs it).

What each family's format is lives in :mod:`.family` (its model id prefixes too). Models on
Bedrock whose invoke format no family parses are named in :data:`NO_INVOKE_FAMILY`, so their
error says so.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from .errors import UnknownModelError
from .family import CODECS

__all__ = ["NO_INVOKE_FAMILY", "Family", "base_model_id", "resolve_family"]

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

NO_INVOKE_FAMILY: dict[str, str] = {
    "moonshot.": "Kimi K2",
    "moonshotai.": "Kimi K2.5",
    "minimax.": "MiniMax M2",
    "google.": "Gemma 3",
    "nvidia.": "Nemotron",
    "zai.": "GLM",
    "twelvelabs.": "TwelveLabs Pegasus and Marengo (video in, via mediaSource)",
    "amazon.nova-canvas": "Nova Canvas (images)",
    "amazon.nova-reel": "Nova Reel (video)",
    "amazon.nova-sonic": "Nova Sonic (bidirectional speech)",
    "amazon.nova-2-sonic": "Nova 2 Sonic (bidirectional speech)",
    "amazon.nova-2-multimodal-embeddings": "Nova multimodal embeddings",
}
"""Model id prefixes on Bedrock whose invoke format no family here parses, by model name.

Their text models answer Converse; the rest are no text-chat models at all.
"""


def _from_base_id(model: str) -> Family | None:
    # The longest prefix wins: "cohere.command-r" over "cohere.command".
    best: tuple[str, Family] | None = None
    for prefix, family in _PREFIXES:
        if model.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = prefix, family
    if best is not None and _unsupported(model, len(best[0])) is not None:
        return None  # "amazon.nova-canvas" over "amazon.nova"
    return None if best is None else best[1]


def _unsupported(model: str, longer_than: int = 0) -> str | None:
    """Return the name of ``model`` if no family parses it (:data:`NO_INVOKE_FAMILY`)."""
    for prefix, name in NO_INVOKE_FAMILY.items():
        if model.startswith(prefix) and len(prefix) > longer_than:
            return name
    return None


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
    base = base_model_id(model_id)
    found = _from_base_id(base)
    if found is None:
        name = _unsupported(base) or _unsupported(_PROFILE_PREFIX.sub("", base, count=1))
        if name is not None:
            raise UnknownModelError(
                f"{model_id!r} is {name}, whose InvokeModel format this library does not "
                f'parse; use api="converse" if the model takes it, or pass family= if its body is '
                f"one of {FAMILIES}"
            )
        raise UnknownModelError(
            f"cannot tell the model family of {model_id!r}; pass family= (one of {FAMILIES})"
        )
    return found
