"""The process-wide default Bedrock client, and which transport it is.

:func:`default_client` is what every call without ``client=`` uses: one per process and
transport, made on first use (or at init by :func:`~bedrock_stream.bedrock.prime`), either the
built-in transport (:mod:`.transport`) or a boto3 client, chosen by
``BEDROCK_STREAM_BEDROCK_TRANSPORT``. Both make one attempt per call, with the same timeouts, so
that only :class:`~bedrock_stream.bedrock.retry.RetryPolicy` retries.
"""

from __future__ import annotations

import threading
from typing import Any

from bedrock_stream.settings import BEDROCK_TRANSPORT

from .errors import BedrockError

__all__ = ["CONNECT_TIMEOUT", "READ_TIMEOUT", "default_client"]

READ_TIMEOUT = 3600.0
"""Seconds any read may wait: AWS recommends an hour for long generations."""
CONNECT_TIMEOUT = 10.0
"""Seconds to connect."""

_clients: dict[str, Any] = {}  # by transport
_client_lock = threading.Lock()


def _debug(message: str, *args: object) -> None:
    import logging  # only once a client is made: the cold path need not import it

    logging.getLogger("bedrock_stream.bedrock").debug(message, *args)


def default_client(transport: str | None = None) -> Any:
    """Return the process-wide ``bedrock-runtime`` client, created on first use.

    ``transport`` (default ``BEDROCK_STREAM_BEDROCK_TRANSPORT``, else ``"auto"``) is
    ``"builtin"`` (:mod:`.transport`, on the standard library), ``"boto3"``, or ``"auto"``:
    the built-in one wherever the environment lets it serve as boto3 would, else boto3.
    A debug line on the ``bedrock_stream.bedrock`` logger says which, and why. Either way
    the endpoint is boto3's (``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, ``AWS_ENDPOINT_URL``) and
    one attempt is made, so no retries multiply with ours.

    Raises:
        BedrockError: ``"builtin"`` was asked for where it cannot serve; the message says why.
        ValueError: ``transport`` (or the variable) is none of the three.
    """
    given = None if transport is None else BEDROCK_TRANSPORT.parse(transport)
    return _default(BEDROCK_TRANSPORT.resolve(given), make_boto3=True)


def _default(choice: str, *, make_boto3: bool) -> Any:
    """Return the cached client of ``choice``, made on first use.

    Where boto3 must serve and ``make_boto3`` is false, import boto3 but make no client (a boto3
    client reads credentials when made) and return None.
    """
    with _client_lock:
        client = _clients.get(choice)
        if client is None:
            client = _new_client(choice, make_boto3=make_boto3)
            if client is not None:
                _clients[choice] = client
        return client


def _new_client(choice: str, *, make_boto3: bool) -> Any:
    why = "BEDROCK_STREAM_BEDROCK_TRANSPORT is boto3"
    if choice != "boto3":
        from .transport import Unsupported, builtin_client

        built = builtin_client(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT)
        if not isinstance(built, Unsupported):
            _debug("Bedrock calls use the built-in transport (%s)", built.endpoint.url)
            return built
        if choice == "builtin":
            message = f"the built-in Bedrock transport cannot serve here: {built.reason}"
            raise BedrockError(message, code="")
        why = built.reason
        _debug("Bedrock calls use boto3: %s", why)
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:  # a package without the bedrock extra
        raise BedrockError(f"boto3 is needed here ({why}) but not installed", code="") from exc

    if not make_boto3:
        return None
    config = Config(
        read_timeout=READ_TIMEOUT,
        connect_timeout=CONNECT_TIMEOUT,
        retries={"mode": "standard", "total_max_attempts": 1},
    )
    return boto3.client("bedrock-runtime", config=config)
