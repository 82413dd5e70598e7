"""Alias of :mod:`bedrock_stream.devtools.pytest_plugin`, kept so existing imports work."""

from __future__ import annotations

from bedrock_stream.devtools.pytest_plugin import bedrock_emulator as bedrock_emulator
from bedrock_stream.devtools.pytest_plugin import local_stack as local_stack

__all__ = ["bedrock_emulator", "local_stack"]
