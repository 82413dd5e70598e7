"""The protocol package imports only the standard library, itself and the error tree.

The rest of the layering is checked against docs/architecture.md by
tests/docs_site/test_architecture.py.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import bedrock_stream

PACKAGE = Path(bedrock_stream.__file__).parent


def _imports(folder: str) -> set[str]:
    names: set[str] = set()
    for path in (PACKAGE / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return names


def test_protocol_imports_the_standard_library_and_itself_only() -> None:
    for name in _imports("protocol"):
        top = name.split(".")[0]
        assert (
            top in sys.stdlib_module_names
            or name.startswith("bedrock_stream.protocol")
            or name == "bedrock_stream.errors"
        ), name
