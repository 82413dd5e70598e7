"""Answers with what API Gateway passed on: the authorizer's output and the caller's identity."""

from __future__ import annotations

import json
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event["requestContext"]
    seen = {
        "authorizer": request.get("authorizer"),
        "identity": request.get("identity"),
        "path": event["path"],
    }
    headers = {"Content-Type": "application/json"}
    return {"statusCode": 200, "headers": headers, "body": json.dumps(seen)}
