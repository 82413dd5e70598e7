"""AI21 Jamba on the emulator: OpenAI chat completions (:mod:`.openai`), its own timing."""

from __future__ import annotations

from . import openai
from .base import EmulatedFamily, Profile

# Medians of the recordings' firstByteLatency and (outputTokens - 1) /
# (invocationLatency - firstByteLatency); see tests/data/bedrock-recordings.
PROFILE = Profile(first_token_ms=300, tokens_per_second=70.0, tokens_per_chunk=1)

FAMILY = EmulatedFamily(
    invoke_chunks=openai.invoke_chunks,
    invoke_body=openai.invoke_body,
    validate=openai.validate,
    profile=PROFILE,
)
