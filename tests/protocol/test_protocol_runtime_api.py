"""The Runtime API's names, its ``/next`` pair and its invocation state machine."""

from __future__ import annotations

import itertools

import pytest

from bedrock_stream.protocol import runtime_api as names
from bedrock_stream.protocol.diagnostic import TRAILER_BUDGET, Diagnostic, decode_error_body
from bedrock_stream.protocol.runtime_api import (
    TRANSITIONS,
    InvalidStateTransition,
    InvocationState,
    NextInvocation,
    Step,
    advance,
)


def _delivery(**overrides: object) -> NextInvocation:
    fields: dict[str, object] = {
        "request_id": "r-1",
        "deadline_ms": 1234,
        "function_arn": "arn:aws:lambda:us-east-1:1:function:f",
        "trace_id": "Root=1-2-3",
        "client_context": '{"a": 1}',
        "cognito_identity": None,
        "tenant_id": "t",
        "content_type": "application/json",
        "body": b"{}",
    }
    fields.update(overrides)
    return NextInvocation(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("absent", [None, "cognito_identity", "tenant_id", "client_context"])
def test_next_headers_decode_to_what_was_encoded(absent: str | None) -> None:
    sent = _delivery(**({absent: None} if absent else {}))
    headers = {name.lower(): value for name, value in names.encode_next(sent)}
    got = names.decode_next(headers, sent.body)
    assert {s: getattr(got, s) for s in NextInvocation.__slots__} == {
        s: getattr(sent, s) for s in NextInvocation.__slots__
    }


def test_paths() -> None:
    assert names.response_path("abc") == "/2018-06-01/runtime/invocation/abc/response"
    assert names.split_invocation_path(names.error_path("abc")) == ("abc", "error")
    assert names.split_invocation_path(names.NEXT) == ("next", "")
    assert names.split_invocation_path(names.INIT_ERROR) is None


def test_the_happy_paths_of_the_state_machine() -> None:
    state = advance(InvocationState.QUEUED, Step.NEXT)
    assert advance(advance(state, Step.RESPOND), Step.END) is InvocationState.DONE
    assert advance(state, Step.FAIL) is InvocationState.DONE


@pytest.mark.parametrize(("state", "step"), list(itertools.product(InvocationState, Step)))
def test_every_move_outside_the_table_raises_one_error(state: InvocationState, step: Step) -> None:
    if (state, step) in TRANSITIONS:
        assert advance(state, step) is TRANSITIONS[state, step]
    else:
        with pytest.raises(InvalidStateTransition) as caught:
            advance(state, step)
        assert (caught.value.state, caught.value.step) == (state, step)


def test_states_read_as_the_strings_they_were() -> None:
    assert InvocationState.DONE == "done" and InvocationState.QUEUED == "queued"


def test_a_diagnostic_is_frozen_and_its_trailers_fit_the_budget() -> None:
    error = Diagnostic("Boom\r\nX", "m" * 10_000, ["frame\n"] * 500, "req")
    with pytest.raises(AttributeError):
        error.message = "other"  # type: ignore[misc]
    fields = error.to_trailers()
    assert sum(len(f"{n}: {v}\r\n") for n, v in fields) <= TRAILER_BUDGET
    assert fields[0] == (names.ERROR_TYPE, "Boom__X")
    assert b'"requestId": "req"' in decode_error_body(fields[1][1])
    assert decode_error_body("not base64!") == b""
