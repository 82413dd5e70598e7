"""A Lambda runtime for Python that streams: ``python -m bedrock_stream.runtime [handler]``.

It speaks the Lambda Runtime API at ``AWS_LAMBDA_RUNTIME_API`` like awslambdaric does
for plain handlers (same context, result JSON, error JSON, init errors, log format), and
streams the response of a :func:`~bedrock_stream.streaming_handler` as it is produced:
a chunked ``/response`` with ``Lambda-Runtime-Function-Response-Mode: streaming`` and
error trailers. See ``docs/runtime.md``.

Layout (after the Rust ``lambda_runtime`` crate): :mod:`.wire` (HTTP/1.1 framing, no
I/O), :mod:`.client` (the Runtime API requests), :mod:`.context` (the ``context``
object), :mod:`.marshal` (event/result JSON), :mod:`.diagnostic` (error shapes and
trailers), :mod:`.stream` (the streaming sink), :mod:`.loader` (handler loading),
:mod:`.logs` (Lambda's log contract; :mod:`.loghandler`, its ``logging`` handler),
:mod:`.loop` (the loop and :func:`run`).

Only the standard library is imported before the handler's module.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from bedrock_stream.runtime.loop import run

__all__ = ["run"]


def __getattr__(name: str) -> object:
    if name == "run":
        from bedrock_stream.runtime.loop import run

        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
