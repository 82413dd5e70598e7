"""MkDocs hook: render the Sphinx roles used in docstrings (``:func:`~x.y```) in the API pages.

The package's docstrings are Google style with Sphinx cross-reference roles, which Markdown
leaves as ``:func:<code>~x.y</code>``. This turns each into code showing the name as Sphinx
would (``~`` keeps the last component, a leading ``.`` is dropped) and, for a fully qualified
``bedrock_stream`` name, an optional mkdocs-autorefs link: documented objects become links,
the others stay plain code. A reStructuredText ``::`` before a literal block becomes ``:``.
"""

from __future__ import annotations

import html
import re
from typing import Any

ROLE = re.compile(
    r":(?:py:)?(?:mod|func|class|meth|attr|data|exc|obj|const):<code>(?P<target>[^<]+)</code>"
)


def on_page_content(content: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs event: rewrite the roles on API reference pages."""
    if not page.file.src_uri.startswith("reference/"):
        return content
    content = ROLE.sub(_replace, content).replace("<p>::</p>", "")
    return content.replace("::</p>", ":</p>")


def _replace(match: re.Match[str]) -> str:
    target = html.unescape(match["target"]).strip()
    short = target.startswith("~")
    target = target.lstrip("~")
    shown = target.rsplit(".", 1)[-1] if short else target.lstrip(".")
    code = f"<code>{html.escape(shown)}</code>"
    if target.startswith("bedrock_stream."):
        return f'<autoref identifier="{html.escape(target)}" optional>{code}</autoref>'
    return code
