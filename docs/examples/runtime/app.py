from collections.abc import Iterator
from typing import Any

from bedrock_stream import streaming_handler


@streaming_handler(content_type="text/plain; charset=utf-8")
def handler(event: Any, context: Any) -> Iterator[str]:
    yield "Hello, "
    yield "world"
