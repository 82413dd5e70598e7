"""The emulator's deterministic model: text and tokens (no I/O).

The answer to a prompt is assembled from a small built-in corpus, chosen by the
SHA-256 of the prompt, so the same prompt always gets the same answer and a
different prompt almost always a different one. Tokens are words and single
punctuation marks, each with the whitespace before it (see :func:`tokenize`), so
token counts are easy to check: ``len(tokenize(text))``. Timing is each family's
:class:`Profile` (:mod:`.family`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from .family import FAMILIES
from .family.base import Profile as Profile

if TYPE_CHECKING:
    from bedrock_stream.bedrock.families import Family

__all__ = [
    "PROFILES",
    "Generation",
    "Profile",
    "Stop",
    "StopReason",
    "count_tokens",
    "generate",
    "intervene",
    "thought",
    "tokenize",
]

StopReason = Literal["end_turn", "max_tokens", "stop_sequence", "tool_use", "guardrail_intervened"]
"""Why the emulated model stopped, in Converse's words."""
Stop = StopReason
"""The old name of :data:`StopReason`, apart from the client's event ``bedrock.events.Stop``."""

_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])|\s+")
_WORD = re.compile(r"[^\W\d_]{5,}")

_OPENERS = (
    "Here is a short answer about {topic}.",
    "Let me think about {topic} for a moment.",
    "There are a few ways to look at {topic}.",
    "Good question: {topic} deserves a careful answer.",
    "Start with the basics of {topic}, then build up.",
    "A plain answer about {topic} fits in a few lines.",
)

# Original prose for the emulator; any resemblance to a real model's answer is a coincidence.
_SENTENCES = (
    "A river never carries the same water twice, yet everyone still calls it by one name.",
    "The first step is to write down what you already know and what you only suspect.",
    "Most problems look smaller once they are split into parts that can be checked alone.",
    "A lighthouse does not chase ships; it stands still and keeps its light steady.",
    "Bread rises slowly in a cold kitchen, but it rises all the same.",
    "Maps leave out almost everything, and that is exactly why they are useful.",
    "When two explanations fit the facts, the simpler one is usually the better bet.",
    "Measure before you change anything, or you will not know whether the change helped.",
    "A good default saves more time than a clever option that nobody remembers.",
    "Small, frequent steps are easier to undo than one large leap.",
    "The garden teaches patience: seeds planted in spring feed the table in autumn.",
    "Every cache is a promise that the past will look like the future.",
    "If a result seems too good to be true, run the experiment a second time.",
    "Clear names do half the work of documentation, and they never go stale.",
    "A queue is only fair when everyone agrees on where the line begins.",
    "The café on the corner opens at six, and by seven the bread is gone.",
    "Streams deliver their answer piece by piece, so the reader can start early.",
    "Errors are information; hiding them only moves the surprise somewhere worse.",
    "A timeout is a decision made in advance about how long hope should last.",
    "Retries help with bad luck, but they make a bad design fail more slowly.",
    "An old bridge carries traffic because someone inspected it every spring.",
    "Write the test first when the behaviour is clear, and afterwards when it is not.",
    "The shortest path on the map is not always the quickest one on foot.",
    "Good tools disappear in use; you notice them only when they break.",
    "A budget\u2014of time, of money, of tokens\u2014turns wishes into choices.",
    "Every boundary between systems deserves a contract and a test of that contract.",
    "Snow keeps the tracks of everyone who crossed the field before you.",
    "Logs are letters to your future self, so write them in plain words.",
    "The last ten percent of the work often takes as long as the first ninety.",
    "Keep the happy path short and make the unhappy paths loud.",
)

_CLOSERS = (
    "I hope this helps.",
    "Let me know if you would like more detail.",
    "That is the short version; the long one takes a walk.",
    "Ask again if any part of this is unclear.",
)

_REASONING = (
    "The user is asking about {topic}; a short, plain answer will do.",
    "I should explain {topic} simply and keep the answer brief.",
    "Let me recall what matters most about {topic} before answering.",
)

_STOPWORDS = frozenset(
    {"assistant", "header", "begin", "start", "system", "human", "think", "about", "please"}
)


def tokenize(text: str) -> list[str]:
    """Split ``text`` into tokens: a word or one punctuation mark, with leading whitespace.

    Trailing whitespace is a token of its own. ``"".join(tokenize(t)) == t`` always.
    """
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """Count the tokens of ``text`` (see :func:`tokenize`)."""
    return len(tokenize(text))


class _Draw:
    """A deterministic stream of integers from a seed (SHA-256 in counter mode)."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._counter = 0

    def below(self, n: int) -> int:
        self._counter += 1
        digest = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
        return int.from_bytes(digest[:8], "big") % n


def _topic(prompt: str, draw: _Draw) -> str:
    """Pick a word of the last message (the prompt's last line), not of a system prompt."""
    last = next((line for line in reversed(prompt.splitlines()) if line.strip()), prompt)
    for text in (last, prompt):
        words: list[str] = [w for w in _WORD.findall(text) if w.lower() not in _STOPWORDS]
        unique = list(dict.fromkeys(words))
        if unique:
            return unique[draw.below(len(unique))]
    return "your question"


def thought(prompt: str) -> str:
    """Return the reasoning that opens an answer to ``prompt``: two sentences of its own draw."""
    draw = _Draw(hashlib.sha256(b"reasoning\n" + prompt.encode("utf-8", "surrogatepass")).digest())
    topic = _topic(prompt, draw)
    first = _REASONING[draw.below(len(_REASONING))].format(topic=topic)
    rest = [r for r in _REASONING if r.format(topic=topic) != first]
    return f"{first} {rest[draw.below(len(rest))].format(topic=topic)}"


def _compose(prompt: str, *, reasoning: bool) -> str:
    draw = _Draw(hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).digest())
    topic = _topic(prompt, draw)
    parts = [_OPENERS[draw.below(len(_OPENERS))].format(topic=topic)]
    pool = list(range(len(_SENTENCES)))
    for n in range(2 + draw.below(5)):
        index = pool.pop(draw.below(len(pool)))
        parts.append(("\n\n" if n % 3 == 2 else " ") + _SENTENCES[index])
    parts.append("\n\n" + _CLOSERS[draw.below(len(_CLOSERS))])
    answer = "".join(parts)
    if reasoning:
        thought = _REASONING[draw.below(len(_REASONING))].format(topic=topic)
        return f"{thought}\n</think>\n\n{answer}"
    return answer


@dataclass(frozen=True)
class Generation:
    """One deterministic answer: its tokens and why it stopped."""

    tokens: tuple[str, ...]
    stop: StopReason
    stop_sequence: str | None = None
    intervened_at: int | None = None
    """Index of the first token a guardrail replaced (``stop == "guardrail_intervened"``)."""

    @property
    def text(self) -> str:
        """The answer's text."""
        return "".join(self.tokens)

    @property
    def output_tokens(self) -> int:
        """The number of output tokens."""
        return len(self.tokens)


def generate(
    prompt: str,
    *,
    max_tokens: int,
    stop_sequences: Sequence[str] = (),
    reasoning: bool = False,
    lead: str = "",
) -> Generation:
    """Answer ``prompt`` in at most ``max_tokens`` tokens, cut at the first stop sequence.

    With ``reasoning`` the answer starts with a short thought closed by ``</think>``
    (DeepSeek-R1 style); those tokens count as output. ``lead`` opens the answer (a quoted
    tool result or document).
    """
    text = lead + _compose(prompt, reasoning=reasoning)
    stop: StopReason = "end_turn"
    matched: str | None = None
    hits = [(text.find(s), s) for s in stop_sequences if s and s in text]
    if hits:
        cut, matched = min(hits)
        text, stop = text[:cut], "stop_sequence"
    tokens = tokenize(text)
    if len(tokens) > max_tokens:
        tokens, stop, matched = tokens[: max(max_tokens, 0)], "max_tokens", None
    return Generation(tuple(tokens), stop, matched)


def intervene(generation: Generation, after_tokens: int, message: str) -> Generation:
    """Apply a guardrail to ``generation``: keep the first tokens, then the blocked message."""
    kept = generation.tokens[: max(after_tokens, 0)]
    return replace(
        generation,
        tokens=(*kept, *tokenize(message)),
        stop="guardrail_intervened",
        stop_sequence=None,
        intervened_at=len(kept),
    )


PROFILES: Mapping[Family, Profile] = {family: row.profile for family, row in FAMILIES.items()}
"""Each family's :class:`Profile`, kept for compatibility: it is ``FAMILIES[family].profile``."""
