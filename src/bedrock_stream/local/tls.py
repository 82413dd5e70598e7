"""TLS for the local servers: a loopback certificate from a throwaway CA, and the handshake.

:class:`LoopbackCertificate` makes a certificate authority with trustme, valid for this process
only, and a certificate it signs for ``127.0.0.1``, ``::1`` and ``localhost``; clients trust it
through the CA's PEM file (:attr:`~LoopbackCertificate.ca_bundle`: ``AWS_CA_BUNDLE`` for
botocore, ``NODE_EXTRA_CA_CERTS`` for Node.js). Its server context offers ``h2`` and
``http/1.1`` by ALPN (RFC 7301), as AWS's endpoints do, with TLS 1.2 at least (RFC 9113 9.2).
:func:`wrap` and :func:`handshake` secure an accepted connection and say which protocol the
client chose.

Needs the ``local`` extra (trustme).
"""

from __future__ import annotations

import socket
import ssl
import tempfile
from pathlib import Path

__all__ = ["ALPN", "LoopbackCertificate", "handshake", "wrap"]

ALPN = ("h2", "http/1.1")
"""The application protocols offered, in the server's order of preference."""
HOSTS = ("127.0.0.1", "::1", "localhost")
"""The names the certificate is valid for."""


class LoopbackCertificate:
    """A throwaway CA, a loopback certificate it signed, and the server's TLS context.

    The CA's certificate is written to a private temporary directory, removed by :meth:`close`.

    Args:
        http2: whether ALPN offers ``h2`` (else ``http/1.1`` alone).
    """

    def __init__(self, *, http2: bool = True) -> None:
        import trustme

        authority = trustme.CA(organization_name="bedrock-stream local")
        issued = authority.issue_cert(*HOSTS)
        self._directory = tempfile.TemporaryDirectory(prefix="bedrock-stream-tls-")
        self.ca_bundle = Path(self._directory.name) / "ca.pem"
        """The PEM file of the CA, for clients to trust."""
        authority.cert_pem.write_to_path(str(self.ca_bundle))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        """The server side's context: the certificate, ALPN, TLS 1.2 or later."""
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        issued.configure_cert(self.context)
        self.context.set_alpn_protocols(list(ALPN if http2 else ALPN[1:]))

    def env(self) -> dict[str, str]:
        """Return the environment variable that makes botocore trust the certificate."""
        return {"AWS_CA_BUNDLE": str(self.ca_bundle)}

    def close(self) -> None:
        """Remove the CA's file."""
        self._directory.cleanup()


def wrap(sock: socket.socket, context: ssl.SSLContext) -> ssl.SSLSocket:
    """Wrap an accepted connection, server side; the TLS socket owns the descriptor from now on.

    The handshake is left to :func:`handshake`, so the caller can track the new socket first.
    """
    return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)


def handshake(sock: ssl.SSLSocket, timeout: float | None) -> str:
    """Make the handshake within ``timeout`` seconds; return the protocol ALPN chose.

    ``"http/1.1"`` when the client offered none.

    Raises:
        OSError: the handshake failed or timed out (``ssl.SSLError`` is one).
    """
    sock.settimeout(timeout)
    sock.do_handshake()
    return sock.selected_alpn_protocol() or "http/1.1"
