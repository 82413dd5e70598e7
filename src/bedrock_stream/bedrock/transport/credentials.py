"""What authenticates Bedrock Runtime calls: :func:`auth_from` reads it from the environment.

In botocore's order for ``bedrock-runtime`` (signing name ``bedrock``):

1. ``AWS_BEARER_TOKEN_BEDROCK``, a Bedrock API key: :class:`Bearer`. botocore prefers it to
   any credentials whenever it is set. (It still resolves credentials when it creates the
   client, and fails if that fails: an access key without a secret, a container URL it
   refuses. This module does not look further: the key is all a call needs.)
2. ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` with the first non-empty of
   ``AWS_SECURITY_TOKEN`` and ``AWS_SESSION_TOKEN``: :class:`StaticCredentials`. botocore's
   environment provider comes first in its chain, so these are served whatever else is set.
3. Otherwise botocore reads a profile, the shared files, web identity, the EC2 and boto2
   credential files before the container provider: any of them in play is *Unsupported*.
4. ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` (on ``169.254.170.2``), else
   ``AWS_CONTAINER_CREDENTIALS_FULL_URI``, with ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``,
   else ``AWS_CONTAINER_AUTHORIZATION_TOKEN``: :class:`ContainerCredentialSource`. Plain
   HTTP only to a loopback address or botocore's few container hosts, as in botocore.
5. Nothing: boto3 would ask the instance metadata service. *Unsupported*.

*Unsupported* also where boto3 would fail (an access key without a secret, a container URL
or token botocore refuses) and for ``AWS_CREDENTIAL_EXPIRATION`` (botocore then treats the
keys as expiring). Nothing is fetched at import or construction: a source fetches on its
first :meth:`~ContainerCredentialSource.credentials` call, which is safe after a SnapStart
restore.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from datetime import datetime
from urllib.parse import urlsplit

from bedrock_stream._sigv4.signing import Credentials
from bedrock_stream._sigv4.value import Value
from bedrock_stream.bedrock.errors import BedrockError

from .unsupported import Unsupported, expand, shared_files

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs milliseconds
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "ADVISORY_REFRESH",
    "MANDATORY_REFRESH",
    "Bearer",
    "ContainerCredentialSource",
    "CredentialSource",
    "StaticCredentials",
    "auth_from",
]

ADVISORY_REFRESH = 15 * 60
"""Seconds before expiry from which credentials are refreshed, keeping them if that fails."""
MANDATORY_REFRESH = 10 * 60
"""Seconds before expiry from which a refresh must succeed (botocore's windows)."""
CONTAINER_HOST = "169.254.170.2"
"""The host a relative container credentials URI is on (ECS)."""
_PLAIN_HTTP_HOSTS = frozenset(
    {CONTAINER_HOST, "169.254.170.23", "fd00:ec2::23", "localhost", "127.0.0.1", "::1"}
)
"""Hosts botocore fetches container credentials from over plain HTTP (and two loopbacks)."""
_BODY_LIMIT = 64 * 1024


class Bearer(Value):
    """A Bedrock API key, sent as ``Authorization: Bearer <token>``; left out of ``repr``."""

    __slots__ = ("token",)
    __match_args__ = ("token",)
    _fields = __match_args__
    token: str

    def __init__(self, token: str) -> None:
        self._set(token=token)


class CredentialSource:
    """Where SigV4 credentials come from: :meth:`credentials` gives the current ones."""

    __slots__ = ()

    def credentials(self) -> Credentials:
        """Return the credentials to sign the next request with."""
        raise NotImplementedError


class StaticCredentials(CredentialSource):
    """Credentials that never change: the environment's keys."""

    __slots__ = ("_credentials",)

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def credentials(self) -> Credentials:
        """Return the credentials given."""
        return self._credentials

    def __repr__(self) -> str:
        return f"StaticCredentials({self._credentials!r})"


class ContainerCredentialSource(CredentialSource):
    """Temporary credentials from a container credentials endpoint, cached and refreshed.

    Each fetch is a ``GET`` of ``full_uri`` with ``Authorization: <token>`` (the token read
    from ``token_file`` at each fetch when given, as botocore does), tried ``attempts``
    times, ``sleep(1)`` between, each with ``timeout`` seconds. Credentials whose
    ``Expiration`` is :data:`ADVISORY_REFRESH` away or less are fetched again; a failure
    then keeps them until :data:`MANDATORY_REFRESH`, where it raises. Thread-safe: one
    thread fetches while the others keep the current credentials, or wait for new ones
    when they have none or are in the mandatory window.

    Args:
        full_uri: the endpoint (kept as :attr:`url`; errors name it, never the token).
        token: the ``Authorization`` value, if any.
        token_file: a file holding it, read at each fetch; wins over ``token``.
        timeout: seconds each attempt may take to connect, and then to answer.
        attempts: tries per fetch (botocore's 3).
        clock: the POSIX time now, against each ``Expiration``.
        sleep: waits between attempts.

    Raises:
        ValueError: ``full_uri`` is not an ``http`` or ``https`` URL with a host and port.
    """

    def __init__(
        self,
        full_uri: str,
        *,
        token: str | None = None,
        token_file: str | None = None,
        timeout: float = 2.0,
        attempts: int = 3,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(full_uri)
        https = parts.scheme == "https"
        if not (https or parts.scheme == "http") or not parts.hostname:
            raise ValueError("a container credentials URI is an http or https URL with a host")
        self.url = full_uri
        self._address = (parts.hostname, parts.port or (443 if https else 80))
        self._https = https
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._token = token
        self._token_file = token_file
        self._timeout = timeout
        self._attempts = attempts
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._current: tuple[Credentials, float] | None = None

    def __repr__(self) -> str:
        return f"ContainerCredentialSource({self.url!r})"

    def credentials(self) -> Credentials:
        """Return the cached credentials, fetching them first if they are due."""
        current = self._current
        if current is None or current[1] - self._clock() < ADVISORY_REFRESH:
            if self._lock.acquire(blocking=False):
                try:
                    current = self._refresh(ADVISORY_REFRESH)
                finally:
                    self._lock.release()
            elif current is None or current[1] - self._clock() < MANDATORY_REFRESH:
                with self._lock:
                    current = self._refresh(MANDATORY_REFRESH)
        return current[0]

    def _refresh(self, window: float) -> tuple[Credentials, float]:
        """Fetch unless another thread has since; call with the lock held."""
        current = self._current
        if current is not None and current[1] - self._clock() >= window:
            return current
        try:
            fresh = self._fetch()
        except BedrockError:
            if current is None or current[1] - self._clock() < MANDATORY_REFRESH:
                raise
            return current
        if fresh[1] < self._clock():
            raise BedrockError(f"{self._who()} answered credentials that have expired", code="")
        self._current = fresh
        return fresh

    def _fetch(self) -> tuple[Credentials, float]:
        headers = {"Accept": "application/json"}
        token = self._token if self._token_file is None else self._read_token(self._token_file)
        if token is not None:
            if "\r" in token or "\n" in token:
                raise BedrockError(f"the token for {self._who()} is not a header value", code="")
            headers["Authorization"] = token
        attempt = 1
        while True:
            try:
                return self._parse(self._get(headers))
            except _Retryable as error:
                if attempt >= self._attempts:
                    raise BedrockError(str(error), code="") from None
            attempt += 1
            self._sleep(1)

    def _read_token(self, path: str) -> str:
        try:
            with open(path, encoding="utf-8") as file:
                return file.read()
        except (OSError, UnicodeDecodeError) as error:
            kind = type(error).__name__
            raise BedrockError(
                f"cannot read the token file {path} for {self._who()} ({kind})", code=""
            ) from None

    def _get(self, headers: dict[str, str]) -> object:
        host, port = self._address
        if self._https:
            connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, port, timeout=self._timeout
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self._timeout)
        try:
            connection.request("GET", self._target, headers=headers)
            response = connection.getresponse()
            body = response.read(_BODY_LIMIT)
        except (OSError, http.client.HTTPException) as error:
            raise _Retryable(f"{self._who()} failed: {type(error).__name__}") from None
        finally:
            connection.close()
        if response.status != 200:
            raise _Retryable(f"{self._who()} answered HTTP {response.status}")
        try:
            return json.loads(body)
        except ValueError:
            raise _Retryable(f"{self._who()} answered a body that is not JSON") from None

    def _parse(self, document: object) -> tuple[Credentials, float]:
        fields = ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")
        values = [document.get(name) if isinstance(document, dict) else None for name in fields]
        access_key, secret_key, token, expiration = values
        if not (
            isinstance(access_key, str)
            and isinstance(secret_key, str)
            and isinstance(token, str)
            and isinstance(expiration, str)
        ):
            raise BedrockError(
                f"{self._who()} answered without the strings {', '.join(fields)}", code=""
            )
        expiry = parse_expiration(expiration)
        if expiry is None:
            raise BedrockError(
                f"{self._who()} answered an Expiration that is not an ISO 8601 time with"
                f" a time zone: {expiration!r}",
                code="",
            )
        return Credentials(access_key, secret_key, token or None), expiry

    def _who(self) -> str:
        return f"the container credentials endpoint {self.url}"


class _Retryable(Exception):
    """A fetch failed in a way botocore tries again: unreachable, not 200, not JSON."""


def parse_expiration(text: str) -> float | None:
    """Return an ISO 8601 time with a time zone (``Z`` too) as POSIX seconds, else ``None``.

    Fractions of a second may have any number of digits (Python 3.10's ``fromisoformat``
    takes only 3 or 6).
    """
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    whole, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{whole}.{rest[:digits][:6]:0<6}{rest[digits:]}" if digits else ""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.timestamp()


def auth_from(
    environ: Mapping[str, str], *, is_file: Callable[[str], bool] = os.path.isfile
) -> Bearer | CredentialSource | Unsupported:
    """Return what would authenticate ``boto3.client("bedrock-runtime")``'s calls, or why not.

    ``environ`` is the process's environment (``os.environ`` in production). Nothing is
    fetched; nothing is read but ``environ`` and, through ``is_file`` and only when the
    environment has neither a Bedrock API key nor keys, whether the shared files and boto2's
    config files exist.
    """
    if "AWS_BEARER_TOKEN_BEDROCK" in environ:
        token = environ["AWS_BEARER_TOKEN_BEDROCK"]
        if not token or "\r" in token or "\n" in token:
            return Unsupported("AWS_BEARER_TOKEN_BEDROCK is empty or not a header value")
        return Bearer(token)
    access_key = environ.get("AWS_ACCESS_KEY_ID", "")
    if access_key:
        return _environment_keys(environ, access_key)
    unsupported = shared_files(environ, is_file) or _other_providers(environ, is_file)
    if unsupported is not None:
        return unsupported
    return _container(environ)


def _environment_keys(
    environ: Mapping[str, str], access_key: str
) -> CredentialSource | Unsupported:
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY", "")
    if not secret_key:
        return Unsupported("AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY")
    if environ.get("AWS_CREDENTIAL_EXPIRATION", ""):
        return Unsupported("AWS_CREDENTIAL_EXPIRATION makes botocore treat the keys as expiring")
    token = environ.get("AWS_SECURITY_TOKEN", "") or environ.get("AWS_SESSION_TOKEN", "")
    if not all(map(_header_value, (access_key, token))):
        return Unsupported("the access key or session token is not a valid header value")
    return StaticCredentials(Credentials(access_key, secret_key, token or None))


def _header_value(text: str) -> bool:
    """Whether ``text`` can go in an HTTP header as it is: Latin-1, no control characters."""
    return all(" " <= char <= "\xff" and char != "\x7f" for char in text)


def _other_providers(
    environ: Mapping[str, str], is_file: Callable[[str], bool]
) -> Unsupported | None:
    """Say why not if a provider botocore tries before the container one is in play."""
    if environ.get("AWS_WEB_IDENTITY_TOKEN_FILE", ""):
        return Unsupported("AWS_WEB_IDENTITY_TOKEN_FILE: boto3 assumes the role")
    if "AWS_CREDENTIAL_FILE" in environ:
        return Unsupported("AWS_CREDENTIAL_FILE names an EC2 credentials file; boto3 reads it")
    boto_config = environ.get("BOTO_CONFIG")
    for path in ("/etc/boto.cfg", "~/.boto") if boto_config is None else (boto_config,):
        if is_file(expand(path)):
            return Unsupported(f"the boto2 config file {path} may hold keys; boto3 reads it")
    return None


def _container(environ: Mapping[str, str]) -> ContainerCredentialSource | Unsupported:
    if "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" in environ:
        name = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
        uri = f"http://{CONTAINER_HOST}{environ[name]}"
    elif "AWS_CONTAINER_CREDENTIALS_FULL_URI" in environ:
        name = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
        uri = environ[name]
    else:
        return Unsupported(
            "no credentials in the environment; boto3 would ask the instance metadata service"
        )
    if not _fetchable(uri):
        return Unsupported(f"{name} is not a URL botocore fetches credentials from")
    token_file = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    token = None if token_file is not None else environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    if token is not None and ("\r" in token or "\n" in token):
        return Unsupported("AWS_CONTAINER_AUTHORIZATION_TOKEN is not a header value")
    return ContainerCredentialSource(uri, token=token, token_file=token_file)


def _fetchable(uri: str) -> bool:
    """Whether botocore fetches from ``uri``: HTTPS, or HTTP to a loopback or known host."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        return False
    host = parts.hostname
    if not host or parts.scheme not in ("http", "https"):
        return False
    if parts.scheme == "https" or host in _PLAIN_HTTP_HOSTS:
        return True
    import ipaddress  # only here: urllib.parse imports it on 3.11+, not on 3.10

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
