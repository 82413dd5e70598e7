"""The developer tools' old module paths still import, and name the very same objects."""

from __future__ import annotations

import subprocess
import sys

from bedrock_stream import cli, compare, pytest_plugin
from bedrock_stream.devtools import cli as new_cli
from bedrock_stream.devtools import compare as new_compare
from bedrock_stream.devtools import pytest_plugin as new_plugin
from bedrock_stream.devtools import wrapper


def test_the_old_paths_are_aliases_of_the_developer_tools() -> None:
    assert cli.main is new_cli.main
    assert cli.wrapper_script is wrapper.wrapper_script
    assert cli.write_wrapper is wrapper.write_wrapper
    assert cli.WRAPPER_NAME == wrapper.WRAPPER_NAME
    assert compare.measure is new_compare.measure
    assert compare.Measurement is new_compare.Measurement
    assert pytest_plugin.bedrock_emulator is new_plugin.bedrock_emulator
    assert pytest_plugin.local_stack is new_plugin.local_stack
    for alias in (cli, compare, pytest_plugin):
        assert set(alias.__all__) <= set(dir(alias))


def test_python_m_bedrock_stream_cli_still_runs_the_command() -> None:
    for module in ("bedrock_stream.cli", "bedrock_stream.devtools.cli"):
        done = subprocess.run(
            [sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=True
        )
        assert done.stdout.startswith("usage: bedrock-stream")
