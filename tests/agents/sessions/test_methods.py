"""The session methods over a real gateway: results, refusals, and which connections hear the events."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from tests.conftest import local_config
from tests.support.wire_schema import definition_validator

ADMIN = ("operator.admin",)
MAIN = "agent:main:main"


@pytest.fixture
def gateway_config() -> dict:
    config = local_config()
    config["agents"] = {"entries": {"main": {}, "work": {}}, "defaults": {"model": "local/tiny"}}
    config["models"] = {"providers": {"local": {"baseUrl": "http://127.0.0.1:9/v1", "api": "openai-completions",
                                                "models": [{"id": "tiny", "name": "Tiny", "contextWindow": 4096}]}}}
    return config


def store(gateway, agentId="main"):
    return gateway.service.tree.agents.stores.store(agentId)


def valid_row(row: dict) -> dict:
    errors = list(definition_validator("SessionRow").iter_errors(row))
    assert not errors, errors
    return row


async def refused(client, method: str, params: dict) -> GatewayCallError:
    with pytest.raises(GatewayCallError) as caught:
        await client.call(method, params)
    return caught.value


def events(client, name: str) -> list[dict]:
    return [e["payload"] for e in client.events if e["event"] == name]


@pytest_twisted.ensureDeferred
async def test_list_pages_the_agents_sessions_newest_first_with_defaults(gateway, runs):
    for n, name in enumerate(("a", "b", "c")):
        await store(gateway).append(f"agent:main:{name}", {"role": "user", "content": "hi"})
        await store(gateway).touch(f"agent:main:{name}", updatedAt=1_000 + n)  # (the reactor's clock may not move)
    await store(gateway, "work").touch("agent:work:main")
    runs.active["agent:main:c"] = ["run-9"]
    client = await gateway.connect()
    first = await client.call("sessions.list", {"limit": 2})
    assert (first["count"], first["totalCount"], first["limitApplied"]) == (2, 3, 2)
    assert (first["hasMore"], first["nextOffset"], first["owners"]) == (True, 2, [])
    assert first["path"] == store(gateway).path and "offset" not in first
    assert first["defaults"] == {"modelProvider": "local", "model": "tiny", "contextTokens": 4096}
    newest = valid_row(first["sessions"][0])
    assert newest["key"] == "agent:main:c" and newest["activeRunIds"] == ["run-9"] and newest["hasActiveRun"] is True
    assert (newest["kind"], newest["chatType"], newest["isMain"]) == ("direct", "direct", False)
    rest = await client.call("sessions.list", {"limit": 2, "offset": 2})
    assert [r["key"] for r in rest["sessions"]] == ["agent:main:a"] and rest["nextOffset"] is None
    assert rest["offset"] == 2 and rest["hasMore"] is False
    work = await client.call("sessions.list", {"agentId": "work"})
    assert [valid_row(r)["isMain"] for r in work["sessions"]] == [True]


@pytest_twisted.ensureDeferred
async def test_list_takes_the_control_ui_params_and_refuses_unknown_ones(gateway):
    await store(gateway).touch("global")
    await store(gateway).touch("agent:main:kid", spawnedBy=MAIN)
    client = await gateway.connect()
    ui = {"includeGlobal": True, "includeUnknown": True, "configuredAgentsOnly": True, "limit": 200,
          "includeDerivedTitles": True, "includeLastMessage": True, "ownerFirst": True, "agentId": "main"}
    assert {r["key"] for r in (await client.call("sessions.list", ui))["sessions"]} == {"global", "agent:main:kid"}
    children = await client.call("sessions.list", {"includeGlobal": False, "includeUnknown": False,
                                                   "configuredAgentsOnly": True, "limit": 10000, "spawnedBy": MAIN})
    assert [r["key"] for r in children["sessions"]] == ["agent:main:kid"]
    assert (await refused(client, "sessions.list", {"colour": "red"})).code == "INVALID_REQUEST"
    assert "unknown agent id" in (await refused(client, "sessions.list", {"agentId": "ghost"})).message


@pytest_twisted.ensureDeferred
async def test_get_and_describe(gateway):
    await store(gateway).append("agent:main:side", {"role": "user", "content": "one", "timestamp": 5})
    client = await gateway.connect()
    got = await client.call("sessions.get", {"key": "side"})
    assert [m["content"] for m in got["messages"]] == ["one"] and got["messages"][0]["__openclaw"]["seq"] == 1
    assert await client.call("sessions.get", {"sessionKey": "agent:main:none"}) == {"messages": []}
    described = await client.call("sessions.describe", {"key": "agent:main:side", "agentId": "main"})
    assert valid_row(described["session"])["key"] == "agent:main:side"
    unstarted = await client.call("sessions.describe", {"key": MAIN})
    assert valid_row(unstarted["session"]) == {"key": MAIN, "kind": "direct", "agentId": "main", "isMain": True,
                                               "chatType": "direct", "hasActiveRun": False, "activeRunIds": []}
    assert (await refused(client, "sessions.describe", {"key": "agent:main:nope"})).message == \
        "session not found: agent:main:nope"
    assert "belongs to agent" in (await refused(client, "sessions.describe", {"key": "agent:work:x", "agentId": "main"})).message


@pytest_twisted.ensureDeferred
async def test_changes_reach_only_subscribed_connections(gateway):
    watcher = await gateway.connect()
    bystander = await gateway.connect()
    writer = await gateway.connect(scopes=("operator.write",))
    assert await watcher.call("sessions.subscribe", {}) == {"subscribed": True}
    patched = await writer.call("sessions.patch", {"key": MAIN, "label": "Home"})
    assert patched["ok"] is True and patched["key"] == MAIN and patched["path"] == store(gateway).path
    assert patched["entry"]["label"] == "Home" and patched["resolved"] == {"modelProvider": "local", "model": "tiny"}
    await watcher.call("sessions.list", {})  # (the event went out before this answer)
    (change,) = events(watcher, "sessions.changed")
    assert change["sessionKey"] == MAIN and change["reason"] == "patch" and change["agentId"] == "main"
    assert valid_row(change["session"])["label"] == "Home"
    assert events(bystander, "sessions.changed") == [] and events(writer, "sessions.changed") == []
    assert await watcher.call("sessions.unsubscribe", {}) == {"subscribed": False}
    await writer.call("sessions.patch", {"key": MAIN, "label": None})
    await watcher.call("sessions.list", {})
    assert len(events(watcher, "sessions.changed")) == 1


@pytest_twisted.ensureDeferred
async def test_patch_marks_read_and_unread_and_overrides_the_model(gateway):
    client = await gateway.connect(scopes=("operator.write",))
    marked = await client.call("sessions.patch", {"key": MAIN, "unread": True})
    at = marked["entry"]["markedUnreadAt"]
    # an automatic "read" that saw no mark leaves the explicit one alone
    kept = await client.call("sessions.patch", {"key": MAIN, "agentId": "main", "expectedMarkedUnreadAt": None,
                                                "unread": False})
    assert kept["entry"]["markedUnreadAt"] == at
    read = await client.call("sessions.patch", {"key": MAIN, "expectedMarkedUnreadAt": at, "unread": False})
    assert "markedUnreadAt" not in read["entry"] and read["entry"]["lastReadAt"] >= at
    chosen = await client.call("sessions.patch", {"key": MAIN, "model": "other/big", "pinned": True})
    assert chosen["resolved"] == {"modelProvider": "other", "model": "big"} and "pinnedAt" in chosen["entry"]
    row = (await client.call("sessions.describe", {"key": MAIN}))["session"]
    assert (row["model"], row["modelProvider"], row["modelOverrideSource"], row["pinned"]) == ("big", "other", "user", True)
    cleared = await client.call("sessions.patch", {"key": MAIN, "model": None})
    assert cleared["resolved"] == {"modelProvider": "local", "model": "tiny"}
    assert (await refused(client, "sessions.patch", {"key": MAIN, "model": "/x"})).code == "INVALID_REQUEST"
    assert (await refused(client, "sessions.patch", {"key": MAIN, "expectedSessionId": "other"})).code == "INVALID_REQUEST"
    assert (await refused(client, "sessions.patch", {"key": MAIN, "icon": "x"})).code == "INVALID_REQUEST"


@pytest_twisted.ensureDeferred
async def test_reset_keeps_the_session_id_and_leaves_a_marker(gateway, runs):
    await store(gateway).append(MAIN, {"role": "user", "content": "before"})
    before = await store(gateway).get(MAIN)
    runs.active[MAIN] = ["run-1"]
    admin = await gateway.connect(scopes=ADMIN)
    await admin.call("sessions.subscribe", {})
    reset = await admin.call("sessions.reset", {"key": MAIN, "reason": "reset"})
    assert reset["ok"] is True and reset["key"] == MAIN and reset["entry"]["sessionId"] == before.sessionId
    assert reset["resolved"] == {"modelProvider": "local", "model": "tiny"}
    messages = (await admin.call("sessions.get", {"key": MAIN}))["messages"]
    assert messages[-1]["role"] == "system" and messages[-1]["__openclaw"]["kind"] == "reset"
    assert [c["reason"] for c in events(admin, "sessions.changed")] == ["reset"]
    assert runs.aborted == [(MAIN, "reset")] and reset["entry"].get("status") is None
    reader = await gateway.connect()
    assert (await refused(reader, "sessions.reset", {"key": MAIN})).message == "missing scope: operator.admin"


@pytest_twisted.ensureDeferred
async def test_delete_refuses_the_main_session_and_archives_others(gateway, runs):
    await store(gateway).append("agent:main:side", {"role": "user", "content": "bye"})
    sessionId = (await store(gateway).get("agent:main:side")).sessionId
    admin = await gateway.connect(scopes=ADMIN)
    await admin.call("sessions.subscribe", {})
    error = await refused(admin, "sessions.delete", {"key": MAIN})
    assert (error.code, error.message) == ("INVALID_REQUEST", f"Cannot delete the main session ({MAIN}).")
    deleted = await admin.call("sessions.delete", {"key": "agent:main:side"})
    assert deleted["ok"] is True and deleted["deleted"] is True and deleted["key"] == "agent:main:side"
    assert len(deleted["archived"]) == 1 and sessionId in deleted["archived"][0]
    first, second = events(admin, "sessions.changed")
    assert {k: first[k] for k in ("sessionKey", "sessionId", "agentId", "reason")} == \
        {"sessionKey": "agent:main:side", "sessionId": sessionId, "agentId": "main", "reason": "delete"}
    assert "session" not in first and "sessionKey" not in second and second["reason"] == "delete"
    assert runs.aborted == [("agent:main:side", "delete")]
    again = await admin.call("sessions.delete", {"key": "agent:main:side"})
    assert (again["deleted"], again["archived"]) == (False, [])


@pytest_twisted.ensureDeferred
async def test_delete_needs_admin_unless_it_only_removes_an_archived_session(gateway):
    await store(gateway).touch("agent:main:old")
    writer = await gateway.connect(scopes=("operator.write",))
    assert (await refused(writer, "sessions.delete", {"key": "agent:main:old"})).message == "missing scope: operator.admin"
    assert "not archived" in (await refused(writer, "sessions.delete", {"key": "agent:main:old", "archivedOnly": True})).message
    await writer.call("sessions.patch", {"key": "agent:main:old", "archived": True})
    done = await writer.call("sessions.delete", {"key": "agent:main:old", "archivedOnly": True, "deleteTranscript": False})
    assert (done["deleted"], done["archived"]) == (True, [])


@pytest_twisted.ensureDeferred
async def test_message_subscribers_hear_their_session_until_they_leave(gateway):
    bus = gateway.service.tree.agents.bus
    listener = await gateway.connect()
    other = await gateway.connect()
    subscribed = await listener.call("sessions.messages.subscribe", {"key": MAIN, "includeApprovals": True})
    assert subscribed["subscribed"] is True and subscribed["key"] == MAIN
    assert subscribed["approvalReplay"]["approvals"] == [] and subscribed["approvalReplay"]["truncated"] is False
    await other.call("sessions.messages.subscribe", {"key": "agent:main:elsewhere"})
    entry = await store(gateway).append(MAIN, {"role": "assistant", "content": [{"type": "text", "text": "hey"}]}, runId="r1")
    bus.messageAppended("main", MAIN, entry)
    await listener.call("sessions.list", {})
    await other.call("sessions.list", {})
    (heard,) = events(listener, "session.message")
    assert heard["messageId"] == entry.id and heard["runId"] == "r1" and heard["message"]["content"][0]["text"] == "hey"
    assert events(other, "session.message") == []
    assert await listener.call("sessions.messages.unsubscribe", {"key": MAIN}) == {"subscribed": False, "key": MAIN}
    assert not bus.hasMessageSubscribers(MAIN)
    await other.close()
    assert not bus.hasMessageSubscribers("agent:main:elsewhere")
