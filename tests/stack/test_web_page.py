"""The reference app's comparison page (examples/sam-app/web) in headless Chromium.

The page is served by the local stack next to the app's two APIs, with the Bedrock
emulator at the recordings' pace, so an answer takes a few seconds. Progressive delivery
is proven by the order of what the page shows, never by timing thresholds: the streaming
pane holds text, and then more text, while the buffered pane is still empty; both end
with the emulator's text for the prompt.

Needs Playwright's Python package and a system Chromium (Debian: ``apt-get install
chromium``); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
import os
import re
import shutil
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
TIMEOUT_MS = 20_000
NOT_MEASURED = "\u2013"  # the page's placeholder in a metric (an en dash)
# Read at import: the autouse clean_environ fixture removes BEDROCK_STREAM_* before each test.
ARTIFACTS = os.environ.get("BEDROCK_STREAM_ARTIFACTS")

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
    with LocalStack(SAM_APP / "template.yaml", port=0, speed=1.0, web=SAM_APP / "web") as running:
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


def _send(page: Page, prompt: str) -> None:
    page.wait_for_selector("#send:enabled")  # enabled once the URLs are loaded
    page.fill("#prompt", prompt)
    page.click("#send")


def _wait_until_both_end(page: Page) -> None:
    ended = ":is([data-state=done], [data-state=error], [data-state=failed])"
    page.wait_for_selector(f"#streaming-pane{ended}")
    page.wait_for_selector(f"#buffered-pane{ended}")


def _text(page: Page, selector: str) -> str:
    return page.text_content(selector) or ""


def _record(stack: LocalStack, prompt: str, operation: str) -> Any:
    """The emulator's record of the last ``operation`` request carrying ``prompt``."""
    for record in reversed(stack.bedrock.requests):
        if record.operation == operation and prompt in json.dumps(record.body):
            return record
    raise AssertionError(f"Bedrock never saw {prompt!r} through {operation}")


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
        assert page.get_attribute(f"#{name}-pane", "data-state") == "error"
        assert re.fullmatch(r"401( Unauthorized)?: Unauthorized", _text(page, f"#{name}-status"))


def test_the_streaming_pane_fills_while_the_buffered_one_is_still_empty(
    page: Page, stack: LocalStack, tmp_path: Path
) -> None:
    prompt = "Explain response streaming in three sentences"
    _send(page, prompt)

    # 1. Some streamed text, and the buffered pane still has nothing and is still waiting.
    first = page.wait_for_function(
        """() => {
            const streamed = document.querySelector('#streaming-text').textContent;
            const buffered = document.querySelector('#buffered-text').textContent;
            const waiting = document.querySelector('#buffered-pane').dataset.state === 'waiting';
            return streamed.length > 0 && buffered === '' && waiting ? streamed.length : 0;
        }""",
        polling="raf",
    ).json_value()
    # 2. More streamed text, the buffered pane still empty: the answer arrives in pieces.
    page.wait_for_function(
        """(seen) => {
            const streamed = document.querySelector('#streaming-text').textContent;
            const buffered = document.querySelector('#buffered-text').textContent;
            const waiting = document.querySelector('#buffered-pane').dataset.state === 'waiting';
            return streamed.length > seen && buffered === '' && waiting;
        }""",
        arg=first,
        polling="raf",
    )
    assert page.text_content("#streaming-ttfb") != NOT_MEASURED  # TTFB shown mid-stream
    assert page.text_content("#buffered-ttfb") == NOT_MEASURED

    # 3. Both end complete, with the same text: the emulator's answer to this prompt.
    _wait_until_both_end(page)
    expected = _record(stack, prompt, "converse-stream").text
    assert _record(stack, prompt, "converse").text == expected
    assert page.get_attribute("#streaming-pane", "data-state") == "done"
    assert page.get_attribute("#buffered-pane", "data-state") == "done"
    assert _text(page, "#streaming-text") == expected
    assert _text(page, "#buffered-text") == expected
    for name in ("streaming", "buffered"):
        assert re.fullmatch(r"200( OK)?: complete", _text(page, f"#{name}-status"))
        assert re.fullmatch(r"\d+ ms", _text(page, f"#{name}-ttfb"))
        assert re.fullmatch(r"\d+ ms", _text(page, f"#{name}-total"))
        size = len(expected.encode())
        assert _text(page, f"#{name}-bytes") == f"{size:,} bytes"
    _screenshot(page, tmp_path, "web-page.png")


def test_an_empty_prompt_shows_the_400_message_in_both_panes(page: Page) -> None:
    _send(page, "")
    _wait_until_both_end(page)
    for name in ("streaming", "buffered"):
        assert page.get_attribute(f"#{name}-pane", "data-state") == "error"
        status = _text(page, f"#{name}-status")
        assert status.startswith("400")
        assert status.endswith(": 'message' must be a non-empty string")
        assert _text(page, f"#{name}-text") == ""


def test_a_stream_cut_mid_way_is_marked_interrupted_never_complete(
    page: Page, stack: LocalStack
) -> None:
    prompt = "break this answer midway"
    stack.bedrock.faults.add(StreamFault(after_tokens=5), prompt=prompt, times=None)
    _send(page, prompt)
    _wait_until_both_end(page)

    assert page.get_attribute("#streaming-pane", "data-state") == "failed"
    assert "stream interrupted" in _text(page, "#streaming-status")
    partial = _text(page, "#streaming-text")
    full = _record(stack, prompt, "converse-stream").text
    assert partial and full.startswith(partial) and partial != full  # kept, shown as cut

    assert page.get_attribute("#buffered-pane", "data-state") == "error"
    status = _text(page, "#buffered-status")
    assert status.startswith("502")
    assert status.endswith(": the model could not answer; try again later")
