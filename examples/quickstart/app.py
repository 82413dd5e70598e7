"""The shortest useful streaming handler: one generator, streaming and buffered APIs alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from bedrock_stream import HTTPError, streaming_handler

WORDS = "Streaming lets a reader start on the first words while the rest are still being written."


@streaming_handler(content_type="text/plain; charset=utf-8")
def handler(event: Any, context: Any) -> Iterator[str]:
    if event.get("httpMethod") not in (None, "POST"):
        raise HTTPError(405, "use POST")
    for word in WORDS.split(" "):
        time.sleep(0.08)  # a model producing tokens
        yield word + " "
