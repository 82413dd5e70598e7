"""docs/architecture.md's layering table is true of every import in src/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PAGE = ROOT / "docs" / "architecture.md"
_ROW = re.compile(r"^\| (?P<layer>`[^|]+`) \| [^|]+ \| (?P<allowed>[^|]+) \|$")


def _rules() -> dict[str, set[str]]:
    rules: dict[str, set[str]] = {}
    for line in PAGE.read_text().splitlines():
        match = _ROW.match(line)
        if match is None:
            continue
        allowed = set(re.findall(r"`([\w.]+)`", match["allowed"]))
        for layer in re.findall(r"`([\w.]+)`", match["layer"]):
            rules[layer] = allowed
    return rules


RULES = _rules()


def _layer(module: str) -> str:
    owners = [layer for layer in RULES if module == layer or module.startswith(layer + ".")]
    return max(owners, key=len)


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "bedrock_stream").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every project module ``module`` imports: lazy, TYPE_CHECKING and relative ones too."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.add(target)
    return {name for name in names if name.split(".")[0] == "bedrock_stream"}


def test_the_table_names_every_layer_it_allows() -> None:
    assert len(RULES) >= 8
    for allowed in RULES.values():
        assert allowed <= set(RULES) | {"nothing"}


@pytest.mark.parametrize("module", sorted(_modules()))
def test_module_imports_only_what_its_layer_may(module: str) -> None:
    layer = _layer(module)
    allowed = RULES[layer] | {layer}
    bad = {
        target for target in _imports(module, _modules()[module]) if _layer(target) not in allowed
    }
    assert not bad, f"{module} (layer {layer}) imports {sorted(bad)}; see docs/architecture.md"


def test_a_broken_rule_is_caught() -> None:
    # The check itself can fail: the runtime importing the local stack is refused.
    assert (
        _layer("bedrock_stream.local.runtime_api")
        not in RULES[_layer("bedrock_stream.runtime.loop")]
    )
