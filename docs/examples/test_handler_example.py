import json

from handler_response import handler

from bedrock_stream.testing import invoke_streaming

EVENT = {
    "httpMethod": "POST",
    "requestContext": {"requestId": "r-1"},
    "body": json.dumps({"message": "stream this"}),
}


def test_streams_the_words() -> None:
    result = invoke_streaming(handler, EVENT)
    assert result.error is None
    assert result.prelude is not None and result.prelude.status_code == 200
    assert result.body == b"STREAM THIS "
    assert [w.chunks[-1] for w in result.writes] == [b"STREAM ", b"THIS "]


def test_rejects_a_body_without_message() -> None:
    result = invoke_streaming(handler, {**EVENT, "body": "{}"})
    assert result.prelude is not None and result.prelude.status_code == 400
    assert json.loads(result.body)["message"] == "send a JSON body with a 'message'"


def test_buffered_call_returns_a_proxy_response() -> None:
    response = handler(EVENT, None)
    assert response["statusCode"] == 200 and response["body"] == "STREAM THIS "
