"""The run's event stream on a Clock: per-run seq, paced and coalesced assistant deltas, terminal events."""

from __future__ import annotations

from twisted.internet.task import Clock

from openclaw.agents.runevents import DELTA_INTERVAL, RunEvents


def events(clock: Clock) -> tuple[RunEvents, list[tuple[str, dict, bool]]]:
    sent: list[tuple[str, dict, bool]] = []
    return RunEvents("r-1", "agent:main:main", "main", lambda e, p, drop, sessionKey=None: sent.append((e, p, drop)), clock, None), sent


def chat(sent):
    return [p for e, p, _ in sent if e == "chat"]


def test_deltas_are_paced_and_coalesced_and_the_final_repeats_the_last_delta_seq():
    clock = Clock()
    run, sent = events(clock)
    run.lifecycle("start", startedAt=0)
    run.assistant("Hel", "item")  # the first delta goes out at once
    clock.advance(0.01)
    run.assistant("lo", "item")
    clock.advance(0.01)
    run.assistant(" you", "item")
    assert [c["deltaText"] for c in chat(sent)] == ["Hel"]
    assert [p["data"]["delta"] for e, p, _ in sent if e == "agent" and p["stream"] == "assistant"] == ["Hel"]
    clock.advance(DELTA_INTERVAL - 0.02)  # 75 ms after the first delta: the rest, coalesced
    deltas = chat(sent)
    assert [(c["deltaText"], c["seq"]) for c in deltas] == [("Hel", 2), ("lo you", 3)]
    assert deltas[-1]["message"]["content"] == [{"type": "text", "text": "Hello you"}]
    assistant = [p for e, p, _ in sent if e == "agent" and p["stream"] == "assistant"]
    assert [(p["seq"], p["data"]["delta"], p["data"]["text"]) for p in assistant] == [(2, "Hel", "Hel"), (3, "lo you", "Hello you")]
    run.assistant("!", "item")  # not yet due: held back until the next agent event sends it first
    run.lifecycle("end", endedAt=1)
    run.final("stop")
    final = chat(sent)
    assert [(c["state"], c.get("deltaText"), c["seq"]) for c in final[2:]] == [("delta", "!", 4), ("final", None, 4)]
    assert final[-1]["message"]["content"][0]["text"] == "Hello you!" and final[-1]["stopReason"] == "stop"
    assert [(p["seq"], p["stream"]) for e, p, _ in sent if e == "agent"] == [
        (1, "lifecycle"), (2, "assistant"), (3, "assistant"), (4, "assistant"), (5, "lifecycle")]
    assert all(drop for e, p, drop in sent if e == "chat" and p["state"] == "delta")
    assert not any(drop for e, p, drop in sent if e == "agent" or p["state"] == "final")
    assert clock.getDelayedCalls() == []


def test_terminal_events_carry_the_partial_reply():
    clock = Clock()
    run, sent = events(clock)
    run.assistant("part", "item")
    seq = run.lifecycle("end", aborted=True)
    run.aborted(seq, "rpc")
    aborted = chat(sent)[-1]
    assert (aborted["state"], aborted["seq"], aborted["stopReason"]) == ("aborted", 2, "rpc")
    assert aborted["message"]["content"][0]["text"] == "part"

    run, sent = events(clock)
    seq = run.lifecycle("error", error="boom")
    run.error(seq, "boom", "unknown", {"provider": "p"})
    error = chat(sent)[-1]
    assert error == {"runId": "r-1", "sessionKey": "agent:main:main", "agentId": "main", "seq": 1, "state": "error",
                     "errorMessage": "boom", "errorKind": "unknown", "errorDetail": {"provider": "p"}}


def test_a_silent_reply_has_no_message_in_the_final_event():
    run, sent = events(Clock())
    run.assistant("NO_REPLY", "item")
    run.final("stop")
    assert "message" not in chat(sent)[-1]


def tool_events(clock: Clock, recipients=("conn-1",)):
    """A run with tool-event recipients; returns it, what they got, and the session.tool calls."""
    got: list[dict] = []
    session: list[tuple[str, dict, frozenset]] = []
    run = RunEvents("r-1", "agent:main:main", "main", lambda *a, **k: None, clock, None,
                    sessionTool=lambda key, payload, skip: session.append((key, payload, skip)))
    for connId in recipients:
        run.addToolRecipient(lambda e, p, drop: got.append(p), connId)
    return run, got, session


def test_tool_updates_are_paced_and_only_the_newest_goes_out():
    clock = Clock()
    run, got, _ = tool_events(clock)
    run.tool({"phase": "start", "name": "exec", "toolCallId": "c1", "args": {}})
    run.toolUpdate("exec", "c1", {"content": [{"type": "text", "text": "a"}]})  # the first at once
    run.toolUpdate("exec", "c1", {"content": [{"type": "text", "text": "ab"}]})
    run.toolUpdate("exec", "c1", {"content": [{"type": "text", "text": "abc"}]})
    assert [p["data"]["phase"] for p in got] == ["start", "update"]
    clock.advance(DELTA_INTERVAL)
    updates = [p["data"] for p in got if p["data"]["phase"] == "update"]
    assert [u["partialResult"]["content"][0]["text"] for u in updates] == ["a", "abc"]
    assert updates[-1]["name"] == "exec" and updates[-1]["toolCallId"] == "c1"
    run.toolUpdate("exec", "c1", {"content": [{"type": "text", "text": "abcd"}]})  # held back ...
    run.tool({"phase": "result", "name": "exec", "toolCallId": "c1", "isError": False})  # ... and dropped
    clock.advance(DELTA_INTERVAL)
    assert [(p["seq"], p["data"]["phase"]) for p in got] == [(1, "start"), (2, "update"), (3, "update"), (4, "result")]
    assert clock.getDelayedCalls() == []


def test_session_tool_payloads_carry_the_session_snapshot_and_name_the_recipients():
    clock = Clock()
    run, got, session = tool_events(clock, recipients=("conn-1", "conn-2"))
    run.setSession({"sessionId": "s-1", "updatedAt": 5, "label": "ops"})
    run.tool({"phase": "start", "name": "read", "toolCallId": "c1", "args": {"path": "x"}})
    (key, payload, skip), = session
    assert key == "agent:main:main" and skip == frozenset({"conn-1", "conn-2"})
    assert payload == {**got[0], "sessionKey": "agent:main:main", "agentId": "main", "sessionId": "s-1",
                       "updatedAt": 5, "label": "ops"}
    assert "sessionKey" not in got[0]  # the agent event keeps the published shape


def test_agent_and_chat_events_are_published_with_their_session():
    clock = Clock()
    keys: list[tuple[str, str]] = []
    run = RunEvents("r-1", "agent:main:work", "main", lambda e, p, drop, sessionKey=None: keys.append((e, sessionKey)),
                    clock, None)
    run.lifecycle("start")
    run.assistant("hi", "item")
    run.final("stop")
    assert set(keys) == {("agent", "agent:main:work"), ("chat", "agent:main:work")}
