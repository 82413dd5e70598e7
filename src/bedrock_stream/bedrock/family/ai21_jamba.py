"""AI21 Jamba: OpenAI-style chat completions, parsed as :mod:`.openai` parses them.

Jamba has no reasoning option, so it keeps the default refusal rather than gpt-oss's.
"""

from __future__ import annotations

from dataclasses import replace

from . import openai
from .base import no_reasoning

__all__ = ["CODEC"]

CODEC = replace(openai.CODEC, prefixes=("ai21.jamba",), reasoning_fields=no_reasoning)
