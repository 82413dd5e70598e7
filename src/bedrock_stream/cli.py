"""Alias of :mod:`bedrock_stream.devtools.cli`, kept so existing imports work."""

from __future__ import annotations

import sys

from bedrock_stream.devtools.cli import main as main
from bedrock_stream.devtools.wrapper import WRAPPER_NAME as WRAPPER_NAME
from bedrock_stream.devtools.wrapper import wrapper_script as wrapper_script
from bedrock_stream.devtools.wrapper import write_wrapper as write_wrapper

__all__ = ["WRAPPER_NAME", "main", "wrapper_script", "write_wrapper"]

if __name__ == "__main__":  # python -m bedrock_stream.cli, as the tests and tasks.py run it
    sys.exit(main())
