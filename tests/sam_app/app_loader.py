"""Import the reference app (examples/sam-app/src) afresh, as a new Lambda process would.

The app reads its settings from the environment when it is imported, and its handler
module imports the ``chat_app`` package beside it: both are imported again on every load.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SRC = Path(__file__).parents[2] / "examples" / "sam-app" / "src"


def load_app(name: str = "reference_app") -> ModuleType:
    """Import ``app.py`` as module ``name``, with a fresh ``chat_app`` package."""
    for module in [m for m in sys.modules if m == "chat_app" or m.startswith("chat_app.")]:
        del sys.modules[module]
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))
    spec = importlib.util.spec_from_file_location(name, SRC / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
