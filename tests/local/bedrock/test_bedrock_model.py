"""The emulator's model, sans I/O: determinism, tokens, max tokens, stop sequences, timing."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from bedrock_stream.local.bedrock.family import FAMILIES
from bedrock_stream.local.bedrock.model import (
    count_tokens,
    generate,
    intervene,
    tokenize,
)

prompts = st.text(max_size=200)


@given(st.text(max_size=300))
def test_tokens_cover_the_text_exactly(text: str) -> None:
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert all(tokens)
    assert count_tokens(text) == len(tokens)


def test_tokens_are_words_and_punctuation() -> None:
    assert tokenize("Hi, there!\n\nOk ") == ["Hi", ",", " there", "!", "\n\nOk", " "]


@given(prompts, st.integers(min_value=0, max_value=400))
def test_generation_is_deterministic_and_bounded(prompt: str, max_tokens: int) -> None:
    first = generate(prompt, max_tokens=max_tokens)
    assert first == generate(prompt, max_tokens=max_tokens)
    assert first.output_tokens == count_tokens(first.text) == len(first.tokens)
    assert first.output_tokens <= max_tokens
    if first.stop == "max_tokens":
        assert first.output_tokens == max_tokens
    else:
        assert first.stop == "end_turn"
        # A larger budget gives the same whole answer.
        assert generate(prompt, max_tokens=max_tokens + 50).text == first.text


@given(prompts, st.integers(min_value=1, max_value=60))
def test_max_tokens_cuts_a_prefix(prompt: str, max_tokens: int) -> None:
    whole = generate(prompt, max_tokens=10_000)
    cut = generate(prompt, max_tokens=max_tokens)
    assert whole.text.startswith(cut.text)
    assert cut.tokens == whole.tokens[:max_tokens]


def test_different_prompts_give_different_prose() -> None:
    answers = {
        generate(f"question number {n} about rivers", max_tokens=500).text for n in range(20)
    }
    assert len(answers) >= 15
    text = generate("Tell me about lighthouses", max_tokens=500).text
    assert "lighthouses" in text
    assert 30 <= count_tokens(text) <= 200


def test_stop_sequence_cuts_before_the_sequence() -> None:
    whole = generate("stop sequences", max_tokens=500)
    word = whole.text.split()[5]
    cut = generate("stop sequences", max_tokens=500, stop_sequences=[word])
    assert cut.stop == "stop_sequence" and cut.stop_sequence == word
    assert whole.text.startswith(cut.text) and word not in cut.text
    assert generate("stop sequences", max_tokens=3, stop_sequences=[word]).stop == "max_tokens"


def test_reasoning_comes_first_and_counts_as_output() -> None:
    plain = generate("think first", max_tokens=500)
    thought = generate("think first", max_tokens=500, reasoning=True)
    head, sep, tail = thought.text.partition("\n</think>\n\n")
    assert sep and head and tail == plain.text


def test_guardrail_keeps_a_prefix_then_the_message() -> None:
    whole = generate("guard me", max_tokens=500)
    guarded = intervene(whole, 4, "Blocked.")
    assert guarded.tokens[:4] == whole.tokens[:4]
    assert guarded.text.endswith("Blocked.") and guarded.intervened_at == 4
    assert guarded.stop == "guardrail_intervened"


@given(st.sampled_from(sorted(FAMILIES)), st.integers(min_value=1, max_value=500))
def test_timing_adds_up(family: str, count: int) -> None:
    profile = FAMILIES[family].profile  # type: ignore[index]
    chunks = list(profile.chunks(count))
    assert chunks[0][0] == 0 and chunks[-1][1] == count
    assert all(a[1] == b[0] for a, b in pairwise(chunks))
    delays = [profile.delay_ms(i, stop - start) for i, (start, stop) in enumerate(chunks)]
    first, total = profile.latency_ms(count)
    assert delays[0] == first
    assert abs(sum(delays) - total) <= 1
