"""The reference app's API key authorizer: a Lambda REQUEST authorizer.

It accepts the key as ``x-api-key: <key>`` or ``Authorization: Bearer <key>`` (the way
OpenAI-style clients send theirs) and returns it as ``usageIdentifierKey``. API Gateway then
checks the key against the usage plan (403 for a key that is not in it) and meters it, so
this function holds no keys and calls nothing. A request without a key gets API Gateway's
401.

The policy allows every route of the stage, so that a result stays right for any route if
caching is ever turned on (a cached policy for one method ARN refuses the next route). The
principal is a digest of the key, never the key itself: it appears in access logs.

Standard library only, on purpose: this runs before every request, and its cold start
should import nothing heavy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    key = api_key(event.get("headers") or {})
    if key is None:
        raise Exception("Unauthorized")  # the exact message API Gateway turns into a 401
    arn_prefix, stage = str(event["methodArn"]).split("/")[:2]
    return {
        "principalId": "key-" + hashlib.sha256(key.encode()).hexdigest()[:16],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "execute-api:Invoke",
                    "Resource": f"{arn_prefix}/{stage}/*",
                }
            ],
        },
        "usageIdentifierKey": key,
    }


def api_key(headers: Mapping[str, str]) -> str | None:
    """Return the key from ``x-api-key``, else from ``Authorization: Bearer``; None if neither."""
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    key = lowered.get("x-api-key", "").strip()
    if not key:
        scheme, _, token = lowered.get("authorization", "").strip().partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else ""
    return key or None
