"""replay_events: a whole Reply, replayed, folds back to the same Reply."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from test_assembly import fold, replies

from bedrock_stream.bedrock.events import (
    Citation,
    Event,
    PerformanceConfig,
    ServiceTier,
    Stop,
    ToolCall,
    ToolResultDelta,
    ToolResultStart,
    ToolUseStart,
)
from bedrock_stream.bedrock.replay import replay_events


@given(replies())
def test_a_replayed_reply_folds_back_to_itself(case: tuple[list[Event], dict[str, Any]]) -> None:
    events, _ = case
    reply = fold(events)[0].reply()
    replayed = list(replay_events(reply))
    assert fold(replayed)[0].reply() == reply
    # tool calls come as a stream's do: the start, the input, the block stop, then the call
    starts = [e for e in replayed if isinstance(e, ToolUseStart)]
    assert [(s.id, s.name) for s in starts] == [(c.id, c.name) for c in reply.tool_calls]
    assert [e for e in replayed if isinstance(e, ToolCall)] == list(reply.tool_calls)


def test_server_tools_citations_and_what_ends_a_reply_are_replayed() -> None:
    events: list[Event] = [
        ToolUseStart("srv_1", "web_fetch", 0, "server_tool_use"),
        ToolResultStart("srv_1", 1, "web_fetch_tool_result"),
        ToolResultDelta(({"json": {"page": "text"}},), 1),
        Citation(2, title="doc", text="quoted"),
        Stop("end_turn", "end_turn"),
        PerformanceConfig("optimized"),
        ServiceTier("priority"),
    ]
    reply = fold(events)[0].reply()
    replayed = list(replay_events(reply))
    again = fold(replayed)[0].reply()
    assert again.message == reply.message and again.tool_results == reply.tool_results
    assert again.citations == reply.citations and again.stop == reply.stop
    assert (again.latency, again.service_tier) == ("optimized", "priority")
    kinds = [type(e) for e in replayed]
    assert kinds.index(Citation) < kinds.index(Stop)
