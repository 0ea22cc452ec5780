"""
Who sees a run, through a whole gateway: tool events start → update → result to the
run's tool-event recipients, C{session.tool} to the session's other message
subscribers, and C{session-scoped-events} clients only for sessions they subscribed to.
"""

from __future__ import annotations

import os

import pytest_twisted

from tests.agents.runs.conftest import event_arrived, openai_tool_call, operator, run_events, terminal_chat, text_reply

KEY = "agent:main:main"
#: Prints a line, waits (at most 10 s) for the test to create C{go}, prints another.
TWO_LINES = "echo one; for i in $(seq 1000); do [ -e go ] && break; sleep 0.01; done; echo two"


def phases(events: list[dict]) -> list[str]:
    return [e["data"]["phase"] for e in events if e.get("stream") == "tool"]


def session_tools(client, runId: str) -> list[dict]:
    return [f["payload"] for f in client.events if f["event"] == "session.tool" and f["payload"]["runId"] == runId]


@pytest_twisted.ensureDeferred
async def test_tool_updates_reach_recipients_and_session_subscribers(gateway, upstream):
    upstream.reply(openai_tool_call("call_1", "exec", {"command": TWO_LINES}), text_reply("Done."))
    starter = await operator(gateway, caps=["tool-events"])
    watcher = await operator(gateway)
    bystander = await operator(gateway)
    for client in (starter, watcher):
        await client.call("sessions.messages.subscribe", {"key": KEY})
    workspace = gateway.service.tree.agents.toolContext("main", KEY).workspace

    update = event_arrived(starter, lambda f: f["event"] == "agent" and f["payload"]["stream"] == "tool"
                           and f["payload"]["data"]["phase"] == "update")
    update.addCallback(lambda _: open(os.path.join(workspace, "go"), "w").close())
    final = await starter.call("agent", {"message": "run it", "idempotencyKey": "u-1"}, expectFinal=True)
    assert final["status"] == "ok"
    for client in (watcher, bystander):
        await terminal_chat(client, "u-1")

    tool = [e for e in run_events(starter, "u-1") if e["stream"] == "tool"]
    assert phases(tool)[0] == "start" and phases(tool)[-1] == "result" and "update" in phases(tool)
    first = next(e["data"] for e in tool if e["data"]["phase"] == "update")
    assert first["name"] == "exec" and first["toolCallId"] == "call_1"
    assert first["partialResult"]["content"][0]["text"].startswith("one\n")
    assert first["partialResult"]["details"]["status"] == "running"
    assert tool[-1]["data"]["result"]["content"] == [{"type": "text", "text": "one\ntwo\n"}]
    seqs = [e["seq"] for e in run_events(starter, "u-1")]
    assert seqs == list(range(1, len(seqs) + 1))

    shown = session_tools(watcher, "u-1")
    assert [(e["seq"], e["data"]) for e in shown] == [(e["seq"], e["data"]) for e in tool]
    sessionId = (await watcher.call("sessions.describe", {"key": KEY}))["session"]["sessionId"]
    assert all(e["sessionKey"] == KEY and e["agentId"] == "main" and e["sessionId"] == sessionId for e in shown)
    assert session_tools(starter, "u-1") == []  # it has them as agent events already
    assert not [e for e in run_events(watcher, "u-1") if e["stream"] == "tool"]
    assert session_tools(bystander, "u-1") == [] and run_events(bystander, "u-1")  # not subscribed: agent events only


@pytest_twisted.ensureDeferred
async def test_session_scoped_clients_see_runs_of_their_sessions_only(gateway, upstream):
    upstream.reply(text_reply("one"), text_reply("two"))
    starter = await operator(gateway)
    scoped = await operator(gateway, caps=["session-scoped-events"])
    await scoped.call("sessions.messages.subscribe", {"key": "agent:main:mine"})
    await starter.call("agent", {"message": "a", "sessionKey": "agent:main:other", "idempotencyKey": "s-1"},
                       expectFinal=True)
    await starter.call("agent", {"message": "b", "sessionKey": "agent:main:mine", "idempotencyKey": "s-2"},
                       expectFinal=True)
    await terminal_chat(scoped, "s-2")
    assert run_events(scoped, "s-1") == [] and run_events(scoped, "s-1", "chat") == []
    assert run_events(scoped, "s-2") == run_events(starter, "s-2")
    assert [c["state"] for c in run_events(scoped, "s-2", "chat")][-1] == "final"
    assert run_events(starter, "s-1")  # clients without the cap see every run

    await scoped.call("sessions.messages.unsubscribe", {"key": "agent:main:mine"})
    upstream.reply(text_reply("three"))
    await starter.call("agent", {"message": "c", "sessionKey": "agent:main:mine", "idempotencyKey": "s-3"},
                       expectFinal=True)
    await scoped.call("health", {})  # a round trip: anything sent before the answer has arrived
    assert run_events(scoped, "s-3") == []
