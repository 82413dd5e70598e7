"""What a local stack serves, as people and tests reach it: its endpoints and their ``curl``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["IAM_CREDENTIALS", "Endpoint", "sigv4_curl"]

IAM_CREDENTIALS = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
"""The access key and secret key that ``AWS_IAM`` routes accept locally (AWS's documentation
example keys, valid nowhere else)."""


@dataclass(frozen=True)
class Endpoint:
    """One address the stack serves, for people and tests."""

    kind: Literal["rest-api", "function-url", "lambda-api", "bedrock", "web"]
    name: str
    url: str
    streaming: bool
    method: str = ""
    credentials: tuple[str, ...] = ()
    """``curl`` options that authenticate a call: an API key header, or SigV4 signing."""

    def curl(self, message: str = "Tell me about streaming") -> str:
        """Return a ready-to-paste ``curl -N`` line for this endpoint.

        A method that carries a body sends ``{"message": ...}``; ``GET``, ``HEAD`` and
        ``DELETE`` send none.
        """
        method = self.method if self.method not in ("", "ANY") else "POST"
        options = "".join(f" {option}" for option in self.credentials)
        if method in ("GET", "HEAD", "DELETE"):
            return f"curl -N -X {method} {self.url}{options}"
        body = '{"message": "' + message.replace('"', "'") + '"}'
        return (
            f"curl -N -X {method} {self.url} -H 'Content-Type: application/json'{options} "
            f"-d '{body}'"
        )


def sigv4_curl(region: str, service: str) -> tuple[str, ...]:
    """Return the ``curl`` options that sign a request with :data:`IAM_CREDENTIALS`."""
    access_key, secret_key = IAM_CREDENTIALS
    return (f"--aws-sigv4 'aws:amz:{region}:{service}'", f"--user '{access_key}:{secret_key}'")
