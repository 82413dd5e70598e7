from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Shared test modules whose plain asserts should explain their failures; registered here, before
# any test module (tests/adapters as well as the app matrices) imports them.
pytest.register_assert_rewrite("app_matrix")

DATA = Path(__file__).parent / "data"

_LAMBDA_PREFIXES = ("BEDROCK_STREAM_", "AWS_LAMBDA_", "_HANDLER", "LAMBDA_TASK_ROOT", "_X_AMZN")


@pytest.fixture
def fresh_default_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """bedrock-stream's per-process default Bedrock clients start afresh; closed after the test."""
    from bedrock_stream.bedrock import shared_client

    made: dict[str, Any] = {}
    monkeypatch.setattr(shared_client, "_clients", made)
    yield made
    for default in made.values():
        default.close()


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without Lambda or bedrock-stream variables from the caller's shell."""
    for name in list(os.environ):
        if name.startswith(_LAMBDA_PREFIXES):
            monkeypatch.delenv(name)


def load_event(name: str) -> dict[str, Any]:
    """A sample API Gateway or function URL event from tests/data/events."""
    event: dict[str, Any] = json.loads((DATA / "events" / f"{name}.json").read_text())
    return event


@pytest.fixture
def rest_event() -> dict[str, Any]:
    """An API Gateway REST (payload 1.0) POST /ask event."""
    return load_event("apigw-rest-post")


@pytest.fixture
def url_event() -> dict[str, Any]:
    """A Lambda function URL (payload 2.0) POST event."""
    return load_event("function-url-post")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI (CI=true), a skipped test fails the run: CI installs everything tests need."""
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; CI must run every test", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
