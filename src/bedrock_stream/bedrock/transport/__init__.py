"""The built-in Bedrock transport: Bedrock Runtime on the standard library, without boto3.

:func:`builtin_client` builds a :class:`BuiltinClient` from the environment a Lambda function
gets (its region, its credentials or container credentials endpoint, a Bedrock API key, an
endpoint URL), or says why it cannot (:class:`Unsupported`): what only boto3 reads, such as
a profile, a shared config file or a proxy. :func:`bedrock_stream.bedrock.default_client`
makes the choice (``BEDROCK_STREAM_BEDROCK_TRANSPORT``); this package only builds.

One concept per module: :mod:`.endpoints` (where), :mod:`.credentials` (who),
:mod:`.connection` (the kept-alive HTTPS connections), :mod:`.proxies` (when boto3 must
tunnel), :mod:`.operations` (the wire format,
sans I/O) and :mod:`.client` (the calls). Importing it opens nothing and reads no
credentials: that is safe before a SnapStart snapshot.
"""

from __future__ import annotations

import os
import ssl  # loaded by .connection already

from .client import BuiltinClient as BuiltinClient
from .credentials import auth_from
from .endpoints import endpoint_from
from .proxies import proxy_for
from .unsupported import Unsupported as Unsupported

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["BuiltinClient", "Unsupported", "builtin_client"]


def builtin_client(
    environ: Mapping[str, str] | None = None,
    *,
    connect_timeout: float,
    read_timeout: float,
) -> BuiltinClient | Unsupported:
    """Return a client for ``environ`` (default: ``os.environ``), or why boto3 must serve.

    Nothing is fetched or connected here: credentials are read at the first call.
    """
    environ = os.environ if environ is None else environ
    endpoint = endpoint_from(environ)
    if isinstance(endpoint, Unsupported):
        return endpoint
    auth = auth_from(environ)
    if isinstance(auth, Unsupported):
        return auth
    if proxy_for(endpoint.url, environ) is not None:  # its URL may hold a password: unsaid
        return Unsupported(f"a proxy is set for {endpoint.url} (HTTPS_PROXY, NO_PROXY)")
    ca_bundle = environ.get("AWS_CA_BUNDLE") or environ.get("REQUESTS_CA_BUNDLE") or None
    if ca_bundle is None and endpoint.url.startswith("https:") and not _system_store():
        return Unsupported(
            "no system certificate store; boto3 brings its own (or set AWS_CA_BUNDLE)"
        )
    return BuiltinClient(
        endpoint,
        auth,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        ca_bundle=ca_bundle,
    )


def _system_store() -> bool:
    """Whether OpenSSL has certificate authorities to trust (a file or a directory)."""
    paths = ssl.get_default_verify_paths()
    return paths.cafile is not None or paths.capath is not None
