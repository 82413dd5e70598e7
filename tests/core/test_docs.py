"""Docs stay true: every snippet in docs/ is a file, and the files run."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SNIPPET = re.compile(r"<!-- snippet: (?P<path>[^ ]+) -->\n```python\n(?P<code>.*?)```", re.S)
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_python_blocks_are_copies_of_files(page: Path) -> None:
    text = page.read_text()
    for match in SNIPPET.finditer(text):
        assert (ROOT / match["path"]).read_text() == match["code"], match["path"]
    inline = text.count("```python") - len(SNIPPET.findall(text))
    if page.name != "README.md":  # the README shows the decorator in a few lines
        assert inline == 0, f"{page.name} has python blocks that are not snippet files"


@pytest.mark.parametrize("path", sorted((ROOT / "docs" / "examples").glob("[!t]*.py")))
def test_snippets_import_and_stream(path: Path) -> None:
    code = (
        "import runpy, sys; from bedrock_stream.testing import invoke_streaming\n"
        f"ns = runpy.run_path({str(path)!r})\n"
        "event = {'httpMethod': 'POST', 'requestContext': {}, 'body': '{\"message\": \"a b\"}'}\n"
        "result = invoke_streaming(ns['handler'], event)\n"
        "assert result.error is None and result.prelude.status_code == 200, result\n"
        "assert result.body, result\n"
        "print(result.body.decode())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_readme_snippet_matches_docs_basic_example() -> None:
    readme = (ROOT / "README.md").read_text()
    assert '@streaming_handler(content_type="text/plain; charset=utf-8")' in readme
    assert "def handler(event, context):" in readme


def test_quickstart_demo_shows_prelude_then_chunks_then_buffered() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart" / "demo.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    words = runpy.run_path(str(ROOT / "examples" / "quickstart" / "app.py"))["WORDS"]
    lines = done.stdout.splitlines()
    kinds = [line.split()[2] for line in lines if re.match(r"\s+[\d.]+ ms", line)]
    assert kinds[:3] == ["response", "prelude", "chunk"]
    assert kinds.count("chunk") == len(words.split(" "))
    assert kinds[-1] == "whole"
    assert '"statusCode": 200' in done.stdout
    assert "Streaming lets a reader" in done.stdout
