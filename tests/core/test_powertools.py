"""Powertools for AWS Lambda stacked with @streaming_handler, through a test sink.

The streaming runtime calls the outermost handler and attaches a sink; decorators
stacked outside @streaming_handler therefore span the whole stream.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from bedrock_stream import streaming_handler
from bedrock_stream.sink import attach_sink, detach_sink
from bedrock_stream.testing import LambdaContextStub, MemorySink


class Timeline(io.StringIO):
    """A log stream and a sink writing into one ordered list of what happened."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, Any]] = []

    def write(self, text: str) -> int:  # the Logger's stream
        if text.strip():
            self.events.append(("log", json.loads(text)))
        return len(text)


class TimelineSink(MemorySink):
    def __init__(self, timeline: Timeline) -> None:
        super().__init__()
        self.timeline = timeline

    def write(self, *chunks: bytes) -> None:
        super().write(*chunks)
        self.timeline.events.append(("write", b"".join(chunks)))


# Powertools keys its Loggers by service name: each test uses its own service.


def run_streaming(handler: Any, event: dict[str, Any], timeline: Timeline) -> None:
    token = attach_sink(TimelineSink(timeline))
    try:
        handler(event, LambdaContextStub(aws_request_id="req-123"))
    finally:
        detach_sink(token)


def test_logger_outside_correlates_log_lines_emitted_mid_stream(
    rest_event: dict[str, Any],
) -> None:
    timeline = Timeline()
    logger = Logger(service="ask", stream=timeline)

    @logger.inject_lambda_context(clear_state=True)
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "first"
        logger.info("between chunks")
        yield "second"

    run_streaming(handler, rest_event, timeline)
    kinds = [kind for kind, _ in timeline.events]
    assert kinds == ["write", "log", "write"]
    log = timeline.events[1][1]
    assert log["message"] == "between chunks"
    assert log["function_request_id"] == "req-123"
    assert log["function_name"] == "test-function"


def test_logger_inside_also_correlates(rest_event: dict[str, Any]) -> None:
    timeline = Timeline()
    logger = Logger(service="ask-inside", stream=timeline)

    @streaming_handler
    @logger.inject_lambda_context
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "first"
        logger.info("between chunks")
        yield "second"

    run_streaming(handler, rest_event, timeline)
    logs = [payload for kind, payload in timeline.events if kind == "log"]
    assert [log["function_request_id"] for log in logs] == ["req-123"]


def test_log_metrics_outside_flushes_after_the_last_chunk(
    rest_event: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = Metrics(namespace="BedrockStream", service="ask")
    printed_when_writing: list[str] = []

    class CheckingSink(MemorySink):
        def write(self, *chunks: bytes) -> None:
            super().write(*chunks)
            printed_when_writing.append(capsys.readouterr().out)

    @metrics.log_metrics
    @streaming_handler
    def handler(event: Any, context: Any) -> Iterator[str]:
        yield "first"
        metrics.add_metric(name="Chunks", unit=MetricUnit.Count, value=2)
        yield "second"

    token = attach_sink(CheckingSink())
    try:
        handler(rest_event, LambdaContextStub())
    finally:
        detach_sink(token)
    assert printed_when_writing == ["", ""], "nothing flushed before or during the stream"
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert emf["Chunks"] == [2.0] or emf["Chunks"] == 2.0
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "BedrockStream"
