"""Testing a streaming handler with bedrock-stream's pytest fixtures (no AWS needed)."""

import http.client
import json
import sys
from pathlib import Path

from bedrock_stream.testing import invoke_streaming

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "src"))

from answer import handler  # noqa: E402


def api_event(body):
    """A minimal API Gateway REST proxy event."""
    text = body if isinstance(body, str) else json.dumps(body)
    return {"httpMethod": "POST", "requestContext": {"stage": "Prod"}, "body": text}


def test_in_process_with_the_bedrock_emulator(bedrock_emulator):
    result = invoke_streaming(handler, api_event({"message": "What is a river?"}))
    assert result.status == 200
    assert result.error is None
    assert len(result.writes) > 2  # the answer arrived in pieces
    assert result.body.decode() == bedrock_emulator.requests[-1].text


def test_a_bad_request_is_a_400(bedrock_emulator):
    result = invoke_streaming(handler, api_event("not json"))
    assert result.status == 400
    assert json.loads(result.body)["message"] == 'send {"message": "..."}'


def test_through_api_gateway_and_lambda(local_stack):
    stack = local_stack(HERE / "template.yaml")
    url = stack.endpoint("AnswerApi").url  # http://127.0.0.1:<port>/Prod/ask
    host, _, path = url.removeprefix("http://").partition("/")
    connection = http.client.HTTPConnection(host)
    connection.request("POST", "/" + path, body=json.dumps({"message": "What is a river?"}))
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"  # streamed
    assert response.read().decode() == stack.bedrock.requests[-1].text
    connection.close()
