"""``python -m bedrock_stream.runtime [--buffered] [handler]``: the streaming runtime's entry point.

The handler comes from the argument, else ``_HANDLER``. ``--buffered`` posts buffered
responses, as the managed runtime does without the wrapper (the local Lambda service runs
it so where awslambdaric is not installed). Under ``AWS_LAMBDA_EXEC_WRAPPER`` the managed
bootstrap passes its own command line; see :mod:`bedrock_stream.cli`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Parse ``[--buffered] [handler]`` and run the loop (never returns)."""
    args = sys.argv[1:] if argv is None else argv
    handlers = [arg for arg in args if arg != "--buffered"]
    from bedrock_stream.runtime.loop import run

    run(handlers[0] if handlers else None, streaming=False if "--buffered" in args else None)


if __name__ == "__main__":
    main()
