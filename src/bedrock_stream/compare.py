"""Alias of :mod:`bedrock_stream.devtools.compare`, kept so existing imports work."""

from __future__ import annotations

from bedrock_stream.devtools.compare import Measurement as Measurement
from bedrock_stream.devtools.compare import measure as measure

__all__ = ["Measurement", "measure"]
