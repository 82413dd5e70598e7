import json
from collections.abc import Iterator
from typing import Any

import boto3


class InvocationFailed(Exception):
    """The function failed; ``code`` is Lambda's ``ErrorCode`` (the exception's type)."""

    def __init__(self, code: str, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details


def stream_words(function: str, message: str, client: Any = None) -> Iterator[Any]:
    """Invoke the function directly and yield its NDJSON records as they arrive."""
    client = client or boto3.client("lambda")
    response = client.invoke_with_response_stream(
        FunctionName=function, Payload=json.dumps({"message": message})
    )
    # No prelude: the payload chunks are the handler's own bytes, and
    # response["ResponseStreamContentType"] is its content type (application/x-ndjson).
    stream = response["EventStream"]
    pending = b""
    try:
        for event in stream:
            if "PayloadChunk" in event:
                # Chunks are not aligned with records: keep an unfinished line for later.
                pending += event["PayloadChunk"]["Payload"]
                *lines, pending = pending.split(b"\n")
                yield from (json.loads(line) for line in lines)
            elif "InvokeComplete" in event:  # always the last event
                complete = event["InvokeComplete"]
                if complete.get("ErrorCode"):
                    details = complete.get("ErrorDetails", "")
                    raise InvocationFailed(complete["ErrorCode"], details)
    finally:
        stream.close()  # also when the caller stops reading early
