"""``prime()``: what the first Bedrock call would pay, paid at init instead.

The streaming runtime calls :func:`prime` during init when the handler's module imported
:mod:`bedrock_stream.bedrock`, before SnapStart's before-snapshot hooks; a handler run by
another runtime can call it at module level. Init runs on full CPU and, with SnapStart or
provisioned concurrency, before any request waits, where an invocation gets a share of a
vCPU proportional to the function's memory.
"""

from __future__ import annotations

import os

from bedrock_stream.settings import BEDROCK_TRANSPORT

from .shared_client import _default

__all__ = ["prime"]


def prime() -> None:
    """Create the default client now, so that the first call only connects and sends.

    The built-in transport is built whole (endpoint, credential source, the TLS context
    with its certificate authorities), and fetches no credentials and opens no connection.
    A boto3 client is created as boto3 creates one, reading the credentials; before a
    SnapStart snapshot (``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``) boto3 is only
    imported, so that the snapshot holds no credentials. Calls that pass their own client
    need none of this.
    """
    snapstart = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start"
    client = _default(BEDROCK_TRANSPORT.resolve(None), make_boto3=not snapstart)
    prepare = getattr(client, "prepare", None)  # the built-in transport's TLS context
    if prepare is not None:
        prepare()
