"""AI21 Jamba on the emulator: OpenAI chat completions (:mod:`.openai`), its own timing."""

from __future__ import annotations

from . import openai
from .base import EmulatedFamily

FAMILY = EmulatedFamily(
    stops=openai.STOPS,
    invoke_chunks=openai.invoke_chunks,
    invoke_body=openai.invoke_body,
    validate=openai.validate,
)
