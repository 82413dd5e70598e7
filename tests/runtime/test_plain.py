"""Plain (non-streaming) handlers behave exactly as under awslambdaric."""

from __future__ import annotations

import asyncio
import base64
import decimal
import json
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.runtime.context import LambdaContext
from bedrock_stream.runtime.marshal import to_json

CONFORMANCE = Path(__file__).parent.parent / "data" / "conformance"


def capture(name: str) -> tuple[dict[str, str], bytes]:
    request = json.loads((CONFORMANCE / name).read_text())["requests"][-1]
    lines = request["request_head"].split("\r\n")
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
    return headers, base64.b64decode(request["body_base64"])


@pytest.mark.parametrize(
    ("name", "result"),
    [
        ("python-decimal.json", {"n": decimal.Decimal("1.5"), "s": "x"}),
        ("python-bytes.json", b"\x00\x01raw"),
        ("python-none.json", None),
    ],
)
def test_buffered_results_match_awslambdaric(harness: Any, name: str, result: Any) -> None:
    headers, body = capture(name)
    got = harness.invoke(lambda event, context: result, {"scenario": "x"})
    assert got.status == "success"
    assert got.content_type == headers["content-type"]
    assert got.body == body
    assert "lambda-runtime-function-response-mode" not in got.headers


def test_proxy_result_matches_awslambdaric_byte_for_byte(harness: Any) -> None:
    headers, body = capture("python-proxy.json")  # captured without AWS_EXECUTION_ENV
    proxy = json.loads(body)
    got = harness.invoke(lambda event, context: proxy)
    assert (got.content_type, got.body) == (headers["content-type"], body)


def test_python312_runtime_keeps_utf8(harness: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.12")
    got = harness.invoke(lambda event, context: {"s": "\u00fc\U0001f600"})
    assert got.body == '{"s": "\u00fc\U0001f600"}'.encode()


def test_handler_error_matches_awslambdaric(harness: Any) -> None:
    _, body = capture("python-error.json")
    want = json.loads(body)

    def handler(event: Any, context: Any) -> Any:
        raise ValueError("bad thing")

    got = harness.invoke(handler, request_id=want["requestId"])
    error = got.error_json()
    assert list(error) == list(want)
    assert {k: error[k] for k in ("errorMessage", "errorType", "requestId")} == {
        k: want[k] for k in ("errorMessage", "errorType", "requestId")
    }
    assert len(error["stackTrace"]) == 1
    assert error["stackTrace"][0].startswith(f'  File "{__file__}", line ')
    assert error["stackTrace"][0].endswith('raise ValueError("bad thing")\n')
    cause = json.loads(got.headers["lambda-runtime-function-xray-error-cause"])
    assert list(cause) == ["working_directory", "exceptions", "paths"]
    assert cause["exceptions"][0]["type"] == "ValueError"
    assert cause["exceptions"][0]["stack"][0]["label"] == "handler"
    assert got.error_type == "ValueError"


def test_stack_trace_frames_have_no_carets_as_under_awslambdaric(harness: Any) -> None:
    # awslambdaric formats (file, line, name, source) tuples: no column positions, so none of
    # the carets Python 3.11+ draws under the failing part of a line.
    def handler(event: Any, context: Any) -> Any:
        return {"value": int(event["n"]) + 1}

    (frame,) = harness.invoke(handler, {"n": "x"}).error_json()["stackTrace"]
    assert frame.startswith(f'  File "{__file__}", line ')
    assert frame.endswith(', in handler\n    return {"value": int(event["n"]) + 1}\n')


def test_unserializable_result_is_a_marshal_error(harness: Any) -> None:
    _, body = capture("python-unserializable.json")
    want = json.loads(body)
    got = harness.invoke(lambda e, c: {"o": object()}, request_id=want["requestId"])
    assert got.error_json() == want
    assert json.loads(got.headers["lambda-runtime-function-xray-error-cause"])["exceptions"] == [
        {"message": want["errorMessage"], "type": "LambdaValidationError", "stack": []}
    ]


@pytest.mark.parametrize(
    "value",
    [
        decimal.Decimal("1.50"),
        decimal.Decimal("-0.000000000000000000000001"),
        decimal.Decimal("1E+30"),
        decimal.Decimal("NaN"),
        [decimal.Decimal("1"), {"a": decimal.Decimal("2.0")}, "\0text"],
    ],
)
def test_decimal_text_is_exact(value: Any) -> None:
    simplejson = pytest.importorskip("simplejson")  # awslambdaric's encoder (Linux)
    assert to_json(value) == simplejson.dumps(
        value, use_decimal=False, default=_simplejson_decimal, allow_nan=True
    )


def _simplejson_decimal(obj: Any) -> Any:
    import math

    simplejson = pytest.importorskip("simplejson")
    if isinstance(obj, decimal.Decimal):
        return math.nan if obj.is_nan() else simplejson.RawJSON(str(obj))
    raise TypeError


def test_context_attributes(harness: Any) -> None:
    seen = {}

    def handler(event: Any, context: Any) -> Any:
        seen["context"] = context
        seen["remaining"] = context.get_remaining_time_in_millis()
        import os

        seen["trace"] = os.environ.get("_X_AMZN_TRACE_ID")
        return

    harness.invoke(
        handler,
        {},
        request_id="req-1",
        timeout_ms=30_000,
        client_context={
            "custom": {"k": "v"},
            "client": {"app_title": "t"},
            "w3c": {"traceparent": "00-x"},
        },
        cognito_identity={"cognitoIdentityId": "id", "cognitoIdentityPoolId": "pool"},
        tenant_id="tenant-a",
    )
    ctx = seen["context"]
    assert isinstance(ctx, LambdaContext)
    assert ctx.aws_request_id == "req-1"
    assert ctx.invoked_function_arn == harness.server.function_arn
    assert ctx.client_context is not None and ctx.client_context.client is not None
    assert ctx.client_context.custom == {"k": "v"}
    assert ctx.client_context.client.app_title == "t"
    assert ctx.w3c() == {"traceparent": "00-x"}
    assert ctx.identity.cognito_identity_id == "id"
    assert ctx.identity.cognito_identity_pool_id == "pool"
    assert ctx.tenant_id == "tenant-a"
    assert 0 < seen["remaining"] <= 30_000
    assert seen["trace"].startswith("Root=")
    for name in (
        "function_name",
        "function_version",
        "memory_limit_in_mb",
        "log_group_name",
        "log_stream_name",
    ):
        assert hasattr(ctx, name)


def test_context_matches_awslambdaric_attribute_names() -> None:
    ric = pytest.importorskip("awslambdaric.lambda_context")
    theirs = ric.LambdaContext("id", None, None, 0)
    ours = LambdaContext("id", 0)

    def public(obj: object) -> set[str]:
        return {n for n in dir(obj) if not n.startswith("_")}

    assert public(theirs) <= public(ours)


CLIENT: Any = None


async def _async_handler(event: Any, context: Any) -> Any:
    global CLIENT
    loop = asyncio.get_running_loop()
    if CLIENT is None:
        CLIENT = loop  # a module-level "client" bound to the loop that created it
    assert CLIENT is loop, "the event loop changed between invocations"
    await asyncio.sleep(0)
    return {"n": event["n"]}


def test_async_handler_reuses_a_module_level_client(harness: Any) -> None:
    assert harness.invoke(_async_handler, {"n": 1}).body == b'{"n": 1}'
    assert harness.invoke(_async_handler, {"n": 2}).body == b'{"n": 2}'


def test_event_that_is_not_json_is_an_unmarshal_error(harness: Any) -> None:
    got = harness.invoke(lambda e, c: None, payload=b"{nope")
    assert got.error_type == "Runtime.UnmarshalError"


def test_an_error_whose_xray_cause_nearly_fills_the_head_is_still_reported(harness: Any) -> None:
    """A cause under awslambdaric's 1 MiB cap no longer pushes /error's head past the limit."""

    def handler(event: Any, context: Any) -> Any:
        raise ValueError("y" * event["n"])

    cause = "lambda-runtime-function-xray-error-cause"
    overhead = len(harness.invoke(handler, {"n": 0}).headers[cause])
    n = 1024 * 1024 - overhead - 100  # the cause: 100 bytes under 1 MiB, the head over it
    got = harness.invoke(handler, {"n": n})
    assert (got.status, got.error_type) == ("failure", "ValueError")
    assert got.error_json()["errorMessage"] == "y" * n  # the /error body is not cut
    assert cause not in got.headers


@pytest.mark.parametrize("streaming", [False, True])
def test_an_error_type_with_a_line_break_is_one_header_line_and_exact_in_the_body(
    harness: Any, streaming: bool
) -> None:
    broken = type("Bad\r\nInjected: yes", (Exception,), {})

    def handler(event: Any, context: Any) -> Any:
        raise broken("no")

    got = harness.invoke(handler, {}, streaming=streaming)
    assert (got.status, got.error_type) == ("failure", "Bad__Injected: yes")
    assert got.error_json()["errorType"] == "Bad\r\nInjected: yes"
    assert "injected" not in got.headers
    assert harness.invoke(lambda e, c: {"ok": True}, {}).status == "success"  # the loop goes on
