"""The reference app's chat route through the AI SDK's own client (npm ``ai``, with Node.js).

``ai_chat.mjs`` runs a ``Chat`` (``AbstractChat``, what ``useChat`` wraps) over
``DefaultChatTransport`` against both APIs of the local stack: the SDK sends the UI messages,
parses the server-sent events and validates every chunk against its schema. The messages it
builds are checked against what the Bedrock emulator generated.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bedrock_stream.local.bedrock.faults import StreamFault
from bedrock_stream.local.stack import LocalStack
from node_peers import node_package

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the local Lambda service is POSIX")

HERE = Path(__file__).parent
SAM_APP = HERE.parents[1] / "examples" / "sam-app"
# The app's behaviour, not its metering; reasoning on, below both output caps.
PARAMETERS = {
    "KeyRateLimit": "1000",
    "KeyBurstLimit": "1000",
    "QuotaPerDay": "100000",
    "ReasoningBudget": "1024",
    "StreamingMaxTokens": "2048",
    "BufferedMaxTokens": "2048",
}
APIS = ("StreamingApi", "NonStreamingApi")


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(SAM_APP / "template.yaml", port=0, speed=0, parameters=PARAMETERS) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults_left(stack: LocalStack) -> Iterator[None]:
    yield
    stack.bedrock.faults.clear()


def _chat(stack: LocalStack, api: str, *turns: str) -> dict[str, Any]:
    """Run the AI SDK's chat client through ``turns`` against ``api``'s chat route."""
    ai = node_package("ai")
    url = stack.endpoint(api).url.rsplit("/ask", 1)[0] + "/chat"
    conversation = {
        "api": url,
        "headers": {"x-api-key": stack.api_keys["ApiKey"]},
        "turns": list(turns),
    }
    done = subprocess.run(
        ["node", str(HERE / "ai_chat.mjs"), str(ai)],
        input=json.dumps(conversation),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _parts(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [part for part in message["parts"] if part["type"] == kind]


def _text(message: dict[str, Any]) -> str:
    return "".join(part["text"] for part in _parts(message, "text"))


def _records(stack: LocalStack, message: str) -> list[Any]:
    """The emulator's records of the requests of the turn that ``message`` began."""
    found = []
    for record in stack.bedrock.requests:
        users = [m for m in (record.body or {}).get("messages", []) if m["role"] == "user"]
        texts = [b.get("text") for m in users for b in m["content"]]
        if message in texts[-1:] or (found and message in texts):
            found.append(record)
    return found


@pytest.mark.parametrize("api", APIS)
def test_a_chat_turn_has_the_emulators_text_after_its_reasoning(
    stack: LocalStack, api: str
) -> None:
    message = f"Describe a lighthouse ({api})"
    (turn,) = _chat(stack, api, message)["results"]
    assert (turn["status"], turn["error"]) == ("ready", None)
    user, answer = turn["messages"]
    assert (user["role"], _text(user)) == ("user", message)
    assert answer["role"] == "assistant"
    (record,) = _records(stack, message)
    assert _text(answer) == record.text
    (reasoning,) = _parts(answer, "reasoning")
    assert reasoning["text"] and reasoning["state"] == "done"
    kinds = [part["type"] for part in answer["parts"] if part["type"] != "step-start"]
    assert kinds == ["reasoning", "text"]


def test_the_next_turn_sends_the_history(stack: LocalStack) -> None:
    first = _chat(stack, "StreamingApi", "Name a river", "And a mountain")["results"]
    assert [turn["status"] for turn in first] == ["ready", "ready"]
    (record,) = _records(stack, "And a mountain")
    roles = [m["role"] for m in record.body["messages"]]
    assert roles == ["user", "assistant", "user"]
    river = _text(first[1]["messages"][1])
    sent = record.body["messages"][1]["content"]
    assert river in [block.get("text") for block in sent]
    assert _text(first[1]["messages"][3]) == record.text


@pytest.mark.parametrize("api", APIS)
def test_the_apps_tool_round_trip_arrives_in_one_response(stack: LocalStack, api: str) -> None:
    message = f"Use the calculator: expression=6*7 ({api})"
    (turn,) = _chat(stack, api, message)["results"]
    assert (turn["status"], turn["error"]) == ("ready", None)
    answer = turn["messages"][-1]
    tools = [p for p in answer["parts"] if p["type"] in ("tool-calculator", "dynamic-tool")]
    (tool,) = tools
    assert tool["state"] == "output-available"
    assert tool["input"] == {"expression": "6*7"}
    assert tool["output"] in ("42", [{"text": "42"}], {"text": "42"})
    assert len(_parts(answer, "step-start")) == 2, "two model calls, two steps"
    assert _text(answer).startswith("The calculator tool returned: 42")
    first, second = _records(stack, message)
    assert second.text is not None and _text(answer).endswith(second.text)
    assert first.stop == "tool_use"


def test_a_fault_mid_stream_is_an_error_the_chat_reports(stack: LocalStack) -> None:
    message = "break this answer midway"
    stack.bedrock.faults.add(StreamFault(event="text", nth=3), prompt=message, times=None)
    chat = _chat(stack, "StreamingApi", message)
    (turn,) = chat["results"]
    assert turn["status"] == "error"
    assert turn["error"] == "the model could not answer; try again later"
    assert chat["errors"] == [turn["error"]]
    partial = _text(turn["messages"][-1])
    (record,) = _records(stack, message)
    assert partial and record.text.startswith(partial) and partial != record.text
