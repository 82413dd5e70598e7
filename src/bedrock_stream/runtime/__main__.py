"""``python -m bedrock_stream.runtime [handler]``: the streaming Lambda runtime's entry point.

The handler comes from the argument, else ``_HANDLER``. Under ``AWS_LAMBDA_EXEC_WRAPPER``
the managed bootstrap passes its own command line; see :mod:`bedrock_stream.cli`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Parse ``[handler]`` and run the loop (never returns)."""
    args = sys.argv[1:] if argv is None else argv
    from bedrock_stream.runtime.loop import run

    run(args[0] if args else None)


if __name__ == "__main__":
    main()
