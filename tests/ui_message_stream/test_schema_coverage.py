"""The pinned ai release is the reference: its headers, and every chunk type of its schema."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from bedrock_stream.ui_message_stream import HEADERS
from node_peers import node_package

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "docs" / "ui-message-stream.md"


def test_the_headers_are_ais_but_the_hop_by_hop_connection() -> None:
    package = node_package("ai")
    script = Path(__file__).with_name("ai_headers.mjs")
    out = subprocess.run(
        ["node", str(script), str(package)], capture_output=True, text=True, check=True
    )
    theirs = json.loads(out.stdout)
    assert theirs.pop("connection") == "keep-alive"
    assert dict(HEADERS) == theirs


def test_the_page_lists_every_chunk_type_of_the_schema() -> None:
    source = (node_package("ai") / "dist" / "index.js").read_text()
    start = source.index("const uiMessageChunkSchema = ")
    schema = source[start : source.index("function isDataUIMessageChunk", start)]
    # The union's own members sit one tab in; nested part schemas (steering-message's) deeper.
    member = r'^\tz\$1\.looseObject\(\{\s*type: z\$1\.literal\("([a-z-]+)"\)'
    types = set(re.findall(member, schema, re.M))
    assert "data-" in schema and len(types) > 25  # the data-* chunk is a custom check
    section = PAGE.read_text().split("## The stream", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`([a-z-]+\*?)`", section))
    assert types - listed == set()
    assert "data-*" in listed
