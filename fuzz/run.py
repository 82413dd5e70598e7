"""Run one fuzz target under atheris (coverage-guided, libFuzzer), e.g.

    pip install atheris
    python fuzz/run.py prelude_decoder -max_total_time=300 -max_len=4096

Each target is a module here with ``test_one_input(data: bytes)``; arguments after its name go
to libFuzzer. A failing input is written as ``crash-<sha1>``: add it to ``fuzz/corpus/<target>/``
once fixed, so that the test suite replays it (``tests/hostile/test_fuzz_corpus.py``).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main() -> None:
    """Fuzz the target named by the first argument."""
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    import atheris

    sys.path.insert(0, str(Path(__file__).parent))
    with atheris.instrument_imports():
        target = importlib.import_module(sys.argv[1])
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target.test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
