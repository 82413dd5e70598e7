"""AI21 Jamba: OpenAI-style chat completions, parsed as :mod:`.openai` parses them."""

from __future__ import annotations

from dataclasses import replace

from . import openai

__all__ = ["CODEC"]

CODEC = replace(openai.CODEC, prefixes=("ai21.jamba",))
