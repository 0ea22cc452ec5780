"""The run's event stream on a Clock: per-run seq, paced and coalesced chat deltas, terminal events."""

from __future__ import annotations

from twisted.internet.task import Clock

from openclaw.agents.runevents import CHAT_DELTA_INTERVAL, RunEvents


def events(clock: Clock) -> tuple[RunEvents, list[tuple[str, dict, bool]]]:
    sent: list[tuple[str, dict, bool]] = []
    return RunEvents("r-1", "agent:main:main", "main", lambda e, p, drop: sent.append((e, p, drop)), clock, None), sent


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
    clock.advance(CHAT_DELTA_INTERVAL - 0.02)  # 75 ms after the first delta: the rest, coalesced
    deltas = chat(sent)
    assert [(c["deltaText"], c["seq"]) for c in deltas] == [("Hel", 2), ("lo you", 4)]
    assert deltas[-1]["message"]["content"] == [{"type": "text", "text": "Hello you"}]
    run.assistant("!", "item")  # not yet due: pending until the terminal event flushes it
    run.lifecycle("end", endedAt=1)
    run.final("stop")
    final = chat(sent)
    assert [(c["state"], c.get("deltaText"), c["seq"]) for c in final[2:]] == [("delta", "!", 5), ("final", None, 5)]
    assert final[-1]["message"]["content"][0]["text"] == "Hello you!" and final[-1]["stopReason"] == "stop"
    assert [p["seq"] for e, p, _ in sent if e == "agent"] == [1, 2, 3, 4, 5, 6]
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
