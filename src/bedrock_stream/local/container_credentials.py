"""The container credentials endpoint the local Lambda service serves to SnapStart functions.

Lambda gives a SnapStart function its credentials this way rather than as
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``, since a snapshot
would keep them past their expiry: ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` names a loopback
URL, and a ``GET`` of it with ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as its ``Authorization``
header answers the JSON every AWS SDK's container provider reads (``AccessKeyId``,
``SecretAccessKey``, ``Token``, ``Expiration``). Without the token, or with another, the
answer is 403. Each answer's ``Expiration`` is an hour from then, so a client that refreshes
gets a later one.

Needs the ``local`` extra (h11).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping

from bedrock_stream.local.http_server import Exchange, HTTPServer
from bedrock_stream.local.http_service import HTTPService

__all__ = ["CREDENTIALS_PATH", "ContainerCredentials"]

CREDENTIALS_PATH = "/2021-04-23/credentials"
"""The path the credentials are served at."""
_LIFETIME = 3600  # seconds each answer's credentials are said to be valid for


class ContainerCredentials(HTTPService):
    """A loopback endpoint that answers ``credentials`` to the holder of :attr:`token`.

    Args:
        credentials: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and, if any,
            ``AWS_SESSION_TOKEN``, the variables a function would otherwise get.
        host: the address to listen on (loopback: AWS SDKs refuse any other plain-HTTP host).
        port: the port; 0 picks a free one.
    """

    def __init__(
        self, credentials: Mapping[str, str], *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.credentials = dict(credentials)
        self.token = secrets.token_urlsafe(32)
        """The ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` a caller must send."""
        self.server = HTTPServer(self._handle, host, port, name="credentials", browsers=False)

    def environment(self) -> dict[str, str]:
        """Return the two variables that point a function at this endpoint."""
        return {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": self.url + CREDENTIALS_PATH,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.token,
        }

    def _handle(self, exchange: Exchange) -> None:
        exchange.read_body()
        if exchange.method != "GET" or exchange.target != CREDENTIALS_PATH:
            exchange.respond_json(404, {"message": f"no such resource: {exchange.target}"})
            return
        given = exchange.header("authorization") or ""
        if not secrets.compare_digest(given.encode(), self.token.encode()):
            exchange.respond_json(403, {"message": "the authorization token is missing or wrong"})
            return
        expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + _LIFETIME))
        exchange.respond_json(
            200,
            {
                "AccessKeyId": self.credentials.get("AWS_ACCESS_KEY_ID", ""),
                "SecretAccessKey": self.credentials.get("AWS_SECRET_ACCESS_KEY", ""),
                "Token": self.credentials.get("AWS_SESSION_TOKEN", ""),
                "Expiration": expiration,
            },
        )
