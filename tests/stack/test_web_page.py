"""The reference app's chat page (examples/sam-app/web) in headless Chromium.

The page is served by the local stack next to the app's two APIs, with the Bedrock
emulator at the recordings' pace, so an answer takes a few seconds; reasoning is switched
on (``ReasoningBudget``), so every answer opens with the model's reasoning. Progressive
delivery is proven by the order of what the page shows, never by timing thresholds: the
streaming pane holds text, and then more text, while the buffered pane is still empty; the
timeline chart has several streamed points before the buffered line has any. Both end with
the emulator's text for the conversation.

Needs Playwright's Python package and a system Chromium (Debian: ``apt-get install
chromium``); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bedrock_stream.local.bedrock.faults import StreamFault
from bedrock_stream.local.stack import LocalStack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).parents[2]
SAM_APP = ROOT / "examples" / "sam-app"
TIMEOUT_MS = 30_000
NOT_MEASURED = "\u2013"  # the page's placeholder in a metric (an en dash)
# Read at import: the autouse clean_environ fixture removes BEDROCK_STREAM_* before each test.
ARTIFACTS = os.environ.get("BEDROCK_STREAM_ARTIFACTS")
# Reasoning on: Claude's smallest thinking budget, below both output caps.
PARAMETERS = {"ReasoningBudget": "1024", "StreamingMaxTokens": "2048", "BufferedMaxTokens": "2048"}
ENDED = ":is([data-state=done], [data-state=error], [data-state=failed], [data-state=stopped])"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").is_file():
        found = "/usr/bin/chromium"
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install playwright (the test extra)")
    executable = _chromium()
    if executable is None:
        pytest.skip(
            "no system Chromium (`chromium` on PATH or /usr/bin/chromium): apt-get install chromium"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    # speed=1.0: the emulated model's recorded pace, so an answer takes seconds, not zero.
    with LocalStack(
        SAM_APP / "template.yaml", port=0, speed=1.0, web=SAM_APP / "web", parameters=PARAMETERS
    ) as running:
        yield running


@pytest.fixture
def page(browser: Browser, stack: LocalStack) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(stack.endpoint("web", "web").url)
    try:
        yield opened
    finally:
        context.close()
        stack.bedrock.faults.clear()
    assert errors == [], f"the page raised: {errors}"


def _pane(name: str, turn: int = -1) -> str:
    """The selector of one API's pane in a turn (the last one by default)."""
    nth = "last-child" if turn == -1 else f"nth-child({turn + 1})"
    return f"#turns > li:{nth} [data-api={name}]"


def _send(page: Page, message: str) -> None:
    page.wait_for_selector("#send:enabled")  # enabled once the URLs are loaded
    page.fill("#prompt", message)
    page.click("#send")


def _wait_until_both_end(page: Page, turn: int = -1) -> None:
    page.wait_for_selector(f"{_pane('streaming', turn)}{ENDED}")
    page.wait_for_selector(f"{_pane('buffered', turn)}{ENDED}")


def _state(page: Page, name: str) -> str | None:
    return page.get_attribute(_pane(name), "data-state")


def _text(page: Page, selector: str) -> str:
    return page.text_content(selector) or ""


def _answer(page: Page, name: str) -> str:
    """The answer's text parts, joined (reasoning and tool calls left out)."""
    texts = page.locator(f"{_pane(name)} .answer .text").all_text_contents()
    return "".join(texts)


def _records(stack: LocalStack, message: str, operation: str) -> list[Any]:
    """The emulator's records of ``operation`` requests whose last user turn says ``message``."""
    found = []
    for record in stack.bedrock.requests:
        if record.operation != operation or not record.body:
            continue
        users = [m for m in record.body["messages"] if m["role"] == "user"]
        if users and message in json.dumps(users[-1]):
            found.append(record)
    if not found:
        raise AssertionError(f"Bedrock never saw {message!r} through {operation}")
    return found


def _screenshot(page: Page, tmp_path: Path, name: str) -> None:
    """Save the page as a test artifact, and in $BEDROCK_STREAM_ARTIFACTS when it is set."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    if ARTIFACTS:
        Path(ARTIFACTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(ARTIFACTS) / name)


def test_the_page_gets_the_local_urls_and_key_from_config_json(
    page: Page, stack: LocalStack
) -> None:
    page.wait_for_selector("#send:enabled")
    assert page.input_value("#streaming-url") == stack.endpoint("StreamingApi").url
    assert page.input_value("#buffered-url") == stack.endpoint("NonStreamingApi").url
    assert page.input_value("#api-key") == stack.api_keys["ApiKey"]


def test_without_the_key_both_panes_show_the_gateways_401(page: Page) -> None:
    # The gateway's own answer reaches the page: it carries the page's origin (CORS).
    page.wait_for_selector("#send:enabled")
    page.fill("#api-key", "")
    _send(page, "Who may ask?")
    _wait_until_both_end(page)
    for name in ("streaming", "buffered"):
        assert _state(page, name) == "error"
        status = _text(page, f"{_pane(name)} .status")
        assert re.fullmatch(r"401( Unauthorized)?: Unauthorized", status)


def test_the_streaming_pane_fills_while_the_buffered_one_is_still_empty(
    page: Page, stack: LocalStack, tmp_path: Path
) -> None:
    message = "Explain response streaming in three sentences"
    _send(page, message)
    streaming, buffered = _pane("streaming"), _pane("buffered")

    # 1. Some streamed text, and the buffered pane still has nothing and is still waiting.
    first = page.wait_for_function(
        """([streaming, buffered]) => {
            const streamed = document.querySelector(`${streaming} .answer`).textContent;
            const other = document.querySelector(`${buffered} .answer`).textContent;
            const waiting = document.querySelector(buffered).dataset.state === 'waiting';
            return streamed.length > 0 && other === '' && waiting ? streamed.length : 0;
        }""",
        arg=[streaming, buffered],
        polling="raf",
    ).json_value()
    # 2. More streamed text, the buffered pane still empty: the answer arrives in pieces;
    #    the chart has several streamed points and no buffered one yet.
    page.wait_for_function(
        """([streaming, buffered, seen]) => {
            const streamed = document.querySelector(`${streaming} .answer`).textContent;
            const other = document.querySelector(`${buffered} .answer`).textContent;
            const waiting = document.querySelector(buffered).dataset.state === 'waiting';
            const chart = document.querySelector('#turns > li:last-child canvas').dataset;
            const points = Number(chart.streamingPoints || 0);
            return streamed.length > seen && other === '' && waiting && points > 2
                && chart.bufferedPoints === undefined;
        }""",
        arg=[streaming, buffered, first],
        polling="raf",
    )
    assert page.text_content(f"{streaming} .ttfb") != NOT_MEASURED  # TTFB shown mid-stream
    assert page.text_content(f"{buffered} .ttfb") == NOT_MEASURED

    # 3. Both end complete, with the same text: the emulator's answer to this conversation,
    #    after the model's reasoning, shown in its own part.
    _wait_until_both_end(page)
    (streamed,) = _records(stack, message, "converse-stream")
    (whole,) = _records(stack, message, "converse")
    assert whole.text == streamed.text
    for name in ("streaming", "buffered"):
        assert _state(page, name) == "done"
        assert _answer(page, name) == streamed.text
        assert re.fullmatch(r"200( OK)?: complete", _text(page, f"{_pane(name)} .status"))
        assert re.fullmatch(r"\d+ ms", _text(page, f"{_pane(name)} .ttfb"))
        assert re.fullmatch(r"\d+ ms", _text(page, f"{_pane(name)} .total"))
        assert re.fullmatch(r"[\d,]+ bytes", _text(page, f"{_pane(name)} .bytes"))
        reasoning = _text(page, f"{_pane(name)} .reasoning .reasoning-text")
        assert reasoning, "the reasoning is shown"
        chars = page.get_attribute("#turns > li:last-child canvas", f"data-{name}-chars")
        assert chars == str(len(reasoning) + len(streamed.text))
    # The buffered answer arrived in one piece: its line jumps once.
    points = page.get_attribute("#turns > li:last-child canvas", "data-buffered-points")
    assert points is not None and int(points) >= 1
    _screenshot(page, tmp_path, "web-page.png")


def test_the_next_turn_sends_the_conversation_so_far(page: Page, stack: LocalStack) -> None:
    _send(page, "Name a river")
    _wait_until_both_end(page, 0)
    first = _answer(page, "streaming")
    _send(page, "And a mountain")
    page.wait_for_selector("#turns > li:nth-child(2)")
    _wait_until_both_end(page, 1)
    for name, operation in (("streaming", "converse-stream"), ("buffered", "converse")):
        assert _state(page, name) == "done"
        (record,) = _records(stack, "And a mountain", operation)
        history = [(m["role"], m["content"][0]["text"]) for m in record.body["messages"]]
        assert history == [
            ("user", "Name a river"),
            ("assistant", first),
            ("user", "And a mountain"),
        ]
        assert _answer(page, name) == record.text


def test_a_tool_round_trip_is_shown_as_it_happens(page: Page, stack: LocalStack) -> None:
    _send(page, "Use the calculator: expression=6*7")
    _wait_until_both_end(page)
    for name in ("streaming", "buffered"):
        assert _state(page, name) == "done"
        tool = f"{_pane(name)} .tool"
        assert _text(page, f"{tool} .tool-name") == "Tool call: calculator"
        assert json.loads(_text(page, f"{tool} .tool-input")) == {"expression": "6*7"}
        assert _text(page, f"{tool} .tool-output") == "42"
        assert page.get_attribute(tool, "data-state") == "output-available"
        assert _answer(page, name).startswith("The calculator tool returned: 42")


def test_an_empty_message_shows_the_400_message_in_both_panes(page: Page) -> None:
    _send(page, "")
    _wait_until_both_end(page)
    for name in ("streaming", "buffered"):
        assert _state(page, name) == "error"
        status = _text(page, f"{_pane(name)} .status")
        assert status.startswith("400")
        assert status.endswith(": the conversation must start with a user message"), status
        assert _answer(page, name) == ""


def test_stop_aborts_both_requests_and_says_lambda_runs_on(page: Page, stack: LocalStack) -> None:
    message = "Explain the water cycle in detail"
    _send(page, message)
    page.wait_for_function(
        "(pane) => document.querySelector(`${pane} .answer .text`)?.textContent.length > 0",
        arg=_pane("streaming"),
        polling="raf",
    )
    page.click("#stop")
    _wait_until_both_end(page)
    assert _state(page, "streaming") == "stopped"
    assert _state(page, "buffered") == "stopped"
    assert "stopped" in _text(page, f"{_pane('streaming')} .status")
    note = page.locator("#stop-note")
    assert note.is_visible()
    assert "keeps running until the generation ends" in " ".join(note.inner_text().split())
    assert page.is_enabled("#send") and not page.is_enabled("#stop")
    # As on AWS, the functions ran on after the page left: both answers were read to the end.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        records = [
            *_records(stack, message, "converse-stream"),
            *_records(stack, message, "converse"),
        ]
        if len(records) == 2 and all(r.outcome == "ok" for r in records):
            break
        time.sleep(0.1)
    assert [r.outcome for r in records] == ["ok", "ok"]


def test_a_stream_cut_mid_way_is_marked_failed_never_complete(
    page: Page, stack: LocalStack
) -> None:
    message = "break this answer midway"
    stack.bedrock.faults.add(StreamFault(event="text", nth=5), prompt=message, times=None)
    _send(page, message)
    _wait_until_both_end(page)

    assert _state(page, "streaming") == "failed"
    status = _text(page, f"{_pane('streaming')} .status")
    assert "the answer is incomplete" in status
    partial = _answer(page, "streaming")
    (record,) = _records(stack, message, "converse-stream")
    assert partial and record.text.startswith(partial) and partial != record.text

    assert _state(page, "buffered") == "error"
    status = _text(page, f"{_pane('buffered')} .status")
    assert status.startswith("502")
    assert status.endswith(": the model could not answer; try again later")
