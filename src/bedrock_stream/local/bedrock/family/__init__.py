"""What the emulator knows of each model family, one module per family, one table.

Each module (:mod:`.anthropic`, :mod:`.openai`, ...) fills in an :class:`~.base.EmulatedFamily`:
its invoke stream chunks, InvokeModel body, request validation and timing profile (its stop
reasons are its module's ``STOPS``). :data:`FAMILIES` maps every
:data:`~bedrock_stream.bedrock.families.Family` to its record; the emulator's
:mod:`..formats`, :mod:`..validation`, :mod:`..model` and :mod:`..server` dispatch through
it and nothing else names a family.

Adding a family: one module here and one row in :data:`FAMILIES`, after the client's
(:mod:`bedrock_stream.bedrock.family`). ``tests/bedrock/test_family_tables.py`` fails until
every table has its row.
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
from .base import EmulatedFamily

if TYPE_CHECKING:
    from bedrock_stream.bedrock.families import Family

__all__ = ["FAMILIES", "EmulatedFamily"]

FAMILIES: Mapping[Family, EmulatedFamily] = {
    "anthropic": anthropic.FAMILY,
    "amazon-nova": amazon_nova.FAMILY,
    "amazon-titan-text": amazon_titan_text.FAMILY,
    "meta-llama": meta_llama.FAMILY,
    "mistral": mistral.FAMILY,
    "cohere-command": cohere_command.FAMILY,
    "cohere-command-r": cohere_command_r.FAMILY,
    "ai21-jamba": ai21_jamba.FAMILY,
    "ai21-jurassic": ai21_jurassic.FAMILY,
    "deepseek": deepseek.FAMILY,
    "openai": openai.FAMILY,
}
