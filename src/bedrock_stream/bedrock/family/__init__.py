"""What the client knows of each model family, one module per family, one table.

Each module (:mod:`.anthropic`, :mod:`.openai`, ...) fills in a :class:`~.base.FamilyCodec`:
its model id prefixes, its InvokeModel request body, its stream chunk parser and its
whole-body parser. :data:`CODECS` maps every :data:`~bedrock_stream.bedrock.families.Family`
to its record; :mod:`..requests`, :mod:`..parsers` and :mod:`..families` dispatch through it
and nothing else names a family.

Adding a family: its name in ``Family``, one module here and one row in :data:`CODECS`;
then the same on the emulator's side (:mod:`bedrock_stream.local.bedrock.family`).
``tests/bedrock/test_family_tables.py`` fails until every table has its row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import (
    ai21_jamba,
    ai21_jurassic,
    amazon_nova,
    amazon_titan_text,
    anthropic,
    cohere_command,
    cohere_command_r,
    deepseek,
    meta_llama,
    mistral,
    openai,
)
from .base import FamilyCodec

if TYPE_CHECKING:
    from ..families import Family

__all__ = ["CODECS", "FamilyCodec"]

CODECS: Mapping[Family, FamilyCodec] = {
    "anthropic": anthropic.CODEC,
    "amazon-nova": amazon_nova.CODEC,
    "amazon-titan-text": amazon_titan_text.CODEC,
    "meta-llama": meta_llama.CODEC,
    "mistral": mistral.CODEC,
    "cohere-command": cohere_command.CODEC,
    "cohere-command-r": cohere_command_r.CODEC,
    "ai21-jamba": ai21_jamba.CODEC,
    "ai21-jurassic": ai21_jurassic.CODEC,
    "deepseek": deepseek.CODEC,
    "openai": openai.CODEC,
}
