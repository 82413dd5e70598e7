"""AI21 Jurassic-2 on the emulator: a ``completions`` body; the model does not stream."""

from __future__ import annotations

from .base import EmulatedFamily, StopNames

STOPS: StopNames = ("endoftext", "length", "stop")

FAMILY = EmulatedFamily(stops=STOPS, invoke_chunks=None)
