"""Run the ``ai`` package's own Chat over our bytes: one Node.js process for many cases.

Each case is ``{"stream": str}`` with optional ``messages`` (the history), ``body`` (the
transport's extra fields), ``text`` and ``files`` (the user message sent); each result is
``{"sent": <the body DefaultChatTransport posted>, "status", "error", "onError",
"finish": {"finishReason", "isError"}, "message": <the chat's last message>}``
(see ``read_chat.mjs``).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from node_peers import node_package

SCRIPT = Path(__file__).with_name("read_chat.mjs")


def run_chats(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return what ``ai``'s Chat made of every case, in order (skips without ``ai``)."""
    package = node_package("ai")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(cases, handle)
    try:
        done = subprocess.run(
            ["node", str(SCRIPT), str(package), handle.name],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        Path(handle.name).unlink()
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.split("\n") if line]


def as_text(data: bytes) -> str:
    """Our bytes as the ``stream`` of a case (they are UTF-8 server-sent events)."""
    return data.decode("utf-8")
