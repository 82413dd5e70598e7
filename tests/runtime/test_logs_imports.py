"""The log modules import one another without a cycle and through public names only."""

from __future__ import annotations

import ast
from pathlib import Path

RUNTIME = Path(__file__).parents[2] / "src" / "bedrock_stream" / "runtime"
LOG_MODULES = ("logs", "loghandler", "logoutput")


def _imports(module: str) -> dict[str, set[str]]:
    """Map each log module ``module`` imports (lazily too) to the names it takes from it."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse((RUNTIME / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            name = node.module.removeprefix("bedrock_stream.runtime.")
            if name in LOG_MODULES:
                found.setdefault(name, set()).update(alias.name for alias in node.names)
    return found


def test_the_log_modules_form_no_import_cycle() -> None:
    graph = {module: set(_imports(module)) for module in LOG_MODULES}
    assert graph == {
        "logs": {"logoutput", "loghandler"},
        "loghandler": {"logoutput"},
        "logoutput": set(),
    }


def test_no_log_module_takes_a_private_name_from_another() -> None:
    private = {
        (module, imported, name)
        for module in LOG_MODULES
        for imported, names in _imports(module).items()
        for name in names
        if name.startswith("_")
    }
    assert private == set()
