"""Citations on the emulator: the answer quotes a document given with citations enabled.

The rule: the first document of the conversation with ``citations: {"enabled": true}``
is cited. Its first sentence (up to and including the first ``.``, ``!`` or ``?``, or the
first line; at most 200 characters) opens the answer as ``The document <name> says:
<sentence>``, and that opening carries one citation: the document's name as ``title``, the
sentence as ``sourceContent``, and its character range in the document as
``location.documentChar`` (``documentIndex`` counts the request's documents from 0), the
shapes of botocore's ``bedrock-runtime`` service model (``CitationsDelta``, ``Citation``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import tokenize

if TYPE_CHECKING:
    from .conversation import Conversation

__all__ = ["Cited", "cite"]

_SENTENCE = re.compile(r"[^.!?\n]{0,199}[.!?]|[^\n]{1,200}")


@dataclass(frozen=True)
class Cited:
    """The answer's cited opening and its citation."""

    lead: str
    """The answer's first words, which the citation covers."""
    title: str
    quote: str
    document_index: int
    start: int
    end: int

    @property
    def lead_tokens(self) -> tuple[str, ...]:
        """The tokens of :attr:`lead`."""
        return tuple(tokenize(self.lead))

    def citation(self) -> dict[str, Any]:
        """Return the citation (ConverseStream's ``delta.citation``, Converse's ``citations``)."""
        location = {
            "documentChar": {
                "documentIndex": self.document_index,
                "start": self.start,
                "end": self.end,
            }
        }
        return {"title": self.title, "sourceContent": [{"text": self.quote}], "location": location}


def cite(conversation: Conversation) -> Cited | None:
    """Return the citation of the first document with citations enabled (None: none)."""
    index = 0
    for message in conversation.messages:
        for block in message.blocks:
            if block.kind != "document":
                continue
            if block.cited and block.text.strip():
                start = len(block.text) - len(block.text.lstrip())
                match = _SENTENCE.match(block.text, start)
                quote = match.group(0).strip() if match else block.text.strip()
                return Cited(
                    f"The document {block.name} says: {quote}",
                    block.name,
                    quote,
                    index,
                    start,
                    start + len(quote),
                )
            index += 1
    return None
