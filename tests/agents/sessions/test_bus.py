"""The session bus: payloads of sessions.changed and session.message, and who receives them."""

from __future__ import annotations

from twisted.internet.task import Clock

from openclaw.agents.sessions.bus import SessionBus
from openclaw.agents.sessions.entry import SessionEntry, TranscriptEntry

ENTRY = SessionEntry("agent:main:main", "main", "sid-1", createdAt=1, sessionStartedAt=1, updatedAt=2)


def bus() -> SessionBus:
    clock = Clock()
    clock.advance(1_800_000_000)
    return SessionBus(clock, mainKeyOf=lambda agentId: f"agent:{agentId}:main")


def test_changes_reach_every_change_subscriber_until_it_unsubscribes():
    b, heard, also = bus(), [], []
    stop = b.subscribeChanges(heard.append)
    b.subscribeChanges(also.append)
    payload = b.changed(ENTRY, "patch", "main", activeRunIds=["r1"], phase="start")
    assert payload == {"sessionKey": "agent:main:main", "sessionId": "sid-1", "agentId": "main", "reason": "patch",
                       "ts": 1_800_000_000_000, "session": payload["session"], "phase": "start"}
    assert payload["session"]["isMain"] is True and payload["session"]["activeRunIds"] == ["r1"]
    assert payload["session"]["hasActiveRun"] is True and payload["session"]["status"] == "running"
    stop()
    stop()
    b.changed(None, "delete", "main", sessionKey="agent:main:x", sessionId="sid-x")
    assert len(heard) == 1 and len(also) == 2
    assert also[1] == {"agentId": "main", "reason": "delete", "ts": 1_800_000_000_000,
                       "sessionKey": "agent:main:x", "sessionId": "sid-x"}


def test_messages_reach_only_that_sessions_subscribers():
    b, mine, other = bus(), [], []
    stop = b.subscribeMessages("agent:main:main", mine.append)
    b.subscribeMessages("agent:main:other", other.append)
    entry = TranscriptEntry("e1", None, 1, 5, "message", {"role": "user", "content": "hi"}, runId="run-1")
    payload = b.messageAppended("main", "agent:main:main", entry)
    assert mine == [payload] and other == []
    assert payload == {"sessionKey": "agent:main:main", "agentId": "main", "messageId": "e1", "messageSeq": 1,
                       "runId": "run-1", "message": {"role": "user", "content": "hi", "__openclaw": {"id": "e1", "seq": 1, "runId": "run-1"}}}
    stop()
    assert not b.hasMessageSubscribers("agent:main:main") and b.hasMessageSubscribers("agent:main:other")


def test_a_failing_subscriber_does_not_stop_the_others():
    b, heard = bus(), []

    def broken(payload):
        raise RuntimeError("boom")

    b.subscribeChanges(broken)
    b.subscribeChanges(heard.append)
    b.changed(ENTRY, "update", "main")
    assert len(heard) == 1
