"""One HTTP request to an app on the local stack, sent the way the app's clients send it."""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

from bedrock_stream.local.stack import IAM_CREDENTIALS, LocalStack


@contextlib.contextmanager
def call(
    stack: LocalStack | None,
    url: str,
    method: str = "GET",
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Iterator[http.client.HTTPResponse]:
    """Send ``method url`` with the stack's API key (when the template has one); yield the answer.

    ``stack`` None sends no key. ``url`` may carry a query string. The connection closes
    when the block ends.
    """
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    key = {"x-api-key": stack.api_keys["ApiKey"]} if stack and stack.api_keys else {}
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body, headers={**key, **(headers or {})})
        yield connection.getresponse()
    finally:
        connection.close()


def sigv4_headers(
    url: str,
    body: bytes,
    service: str,
    *,
    method: str = "POST",
    secret: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of a request signed by botocore with the stack's IAM credentials.

    ``service`` is ``execute-api`` for a REST API, ``lambda`` for a function URL; ``secret``
    replaces the secret key (a wrongly signed request).
    """
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    access_key, secret_key = IAM_CREDENTIALS
    request = AWSRequest(method, url, data=body, headers=dict(headers or {}))
    SigV4Auth(Credentials(access_key, secret or secret_key), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())
