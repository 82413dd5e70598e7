"""Driving failure paths with the Bedrock emulator's fault rules."""

import pytest

from bedrock_stream.bedrock import ModelStreamError, stream_text
from bedrock_stream.local.bedrock.faults import StreamFault, throttling

MODEL_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def test_one_throttle_is_retried_before_the_first_token(bedrock_emulator):
    bedrock_emulator.faults.add(throttling(), times=1)  # the next request only
    text = "".join(stream_text("What is a river?", model_id=MODEL_ID))
    assert text == bedrock_emulator.requests[-1].text
    assert [r.outcome for r in bedrock_emulator.requests] == ["error", "ok"]


def test_a_model_error_mid_stream_is_raised_never_hidden(bedrock_emulator):
    rule = StreamFault(after_tokens=5)  # an exception frame after five tokens
    bedrock_emulator.faults.add(rule, prompt="break", times=None)  # every matching request
    received = []
    with pytest.raises(ModelStreamError):
        received.extend(stream_text("Please break midway", model_id=MODEL_ID))
    assert received  # some text arrived first, and the failure was still reported
