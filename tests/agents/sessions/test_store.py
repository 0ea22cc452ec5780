"""The session store: rows, transcripts, resets, deletes and maintenance on a real SQLite file, on a fake clock."""

from __future__ import annotations

import json
import sqlite3

import pytest
import pytest_twisted

from openclaw.agents.sessions.store import SessionStore, SessionStoreNotRunning
from openclaw.agents.settings import AgentConfigError, Maintenance
from openclaw.agents.sessions.stores import SessionStores
from tests.agents.sessions.conftest import KEY, T0


def user(text: str, **extra) -> dict:
    return {"role": "user", "content": [{"type": "text", "text": text}], "timestamp": 1, **extra}


def assistant(text: str) -> dict:
    return {"role": "assistant", "content": [{"type": "text", "text": text}], "provider": "p", "model": "m"}


@pytest_twisted.ensureDeferred
async def test_a_store_is_one_wal_file_per_agent_under_the_state_dir(stores, tmp_path):
    store = stores.store("work")
    assert store.path == str(tmp_path / "state" / "agents" / "work" / "agent" / "openclaw-agent.sqlite")
    assert stores.store("work") is store and store.running
    await store.touch(KEY)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with pytest.raises(AgentConfigError, match="invalid agent id"):
        stores.store("../etc")


@pytest_twisted.ensureDeferred
async def test_touch_creates_a_session_once_and_updates_it(store, clock):
    assert await store.get(KEY) is None
    created = await store.touch(KEY, label="Hello")
    assert created.agentId == "main" and created.label == "Hello"
    assert created.createdAt == created.updatedAt == T0 * 1000 and len(created.sessionId) == 36
    clock.advance(5)
    again = await store.touch(KEY, thinkingLevel="low")
    assert again.sessionId == created.sessionId and again.label == "Hello" and again.thinkingLevel == "low"
    assert again.updatedAt == (T0 + 5) * 1000 and again.createdAt == created.createdAt
    assert await store.get(KEY) == again
    assert await store.count() == 1


@pytest_twisted.ensureDeferred
async def test_appends_chain_parent_ids_and_count_seq_per_session(store, clock):
    first = await store.append(KEY, user("hi", timestamp=123))
    clock.advance(1)
    second = await store.append(KEY, assistant("hello"), runId="run-1")
    other = await store.append("agent:main:other", user("elsewhere"))
    assert (first.seq, first.parentId, first.timestamp) == (1, None, 123)
    assert (second.seq, second.parentId, second.runId) == (2, first.id, "run-1")
    assert second.timestamp == second.message["timestamp"] == (T0 + 1) * 1000
    assert (other.seq, other.parentId) == (1, None)
    entry = await store.get(KEY)
    assert entry.leafId == second.id and entry.lastInteractionAt == T0 * 1000 and entry.lastActivityAt == (T0 + 1) * 1000
    assert [e.id for e in await store.transcript(KEY)] == [first.id, second.id]
    assert second.wireMessage()["__openclaw"] == {"id": second.id, "seq": 2, "runId": "run-1"}


@pytest_twisted.ensureDeferred
async def test_transcript_pages_newest_last_and_reads_after_a_seq(store):
    for n in range(1, 8):
        await store.append(KEY, user(f"m{n}"))
    texts = lambda entries: [e.message["content"][0]["text"] for e in entries]  # noqa: E731
    assert texts(await store.transcript(KEY, limit=3)) == ["m5", "m6", "m7"]
    assert texts(await store.transcript(KEY, limit=2, before=5)) == ["m3", "m4"]
    assert texts(await store.transcript(KEY, limit=2, after=2)) == ["m3", "m4"]
    assert texts(await store.transcript(KEY, after=6)) == ["m7"]
    assert await store.transcript("agent:main:nobody") == []


@pytest_twisted.ensureDeferred
async def test_reset_keeps_the_session_id_and_cuts_the_context(store, clock):
    await store.append(KEY, user("before"))
    await store.touch(KEY, inputTokens=10, outputTokens=4, totalTokens=14, status="done", lastRunId="r1")
    old = await store.get(KEY)
    assert await store.context(KEY) == [user("before")]
    clock.advance(60)
    reset = await store.reset(KEY, "new")
    assert reset.sessionId == old.sessionId and reset.lifecycleRevision == old.lifecycleRevision + 1
    assert (reset.inputTokens, reset.totalTokens, reset.status, reset.lastRunId) == (0, 0, None, None)
    assert reset.sessionStartedAt == (T0 + 60) * 1000
    assert await store.context(KEY) == []
    await store.append(KEY, user("after"))
    assert await store.context(KEY) == [user("after")]
    marker = (await store.transcript(KEY))[1]
    assert marker.kind == "reset" and marker.message["role"] == "system"
    assert marker.wireMessage()["content"] == [{"type": "text", "text": "Reset"}]
    assert marker.wireMessage()["__openclaw"]["kind"] == "reset"


@pytest_twisted.ensureDeferred
async def test_begin_starts_a_turn_in_one_transaction_resetting_a_stale_session_first(store, clock):
    entry, first, context = await store.begin(KEY, user("one"), "r1", lambda e: None, lastRunId="r1")
    assert (entry.lastRunId, entry.leafId, first.seq) == ("r1", first.id, 1) and context == [user("one")]
    assert store.summary(0)["count"] == 1
    seen = []
    entry, second, context = await store.begin(KEY, user("two"), "r2", lambda e: seen.append(e.lastRunId))
    assert seen == ["r1"] and second.parentId == first.id and context == [user("one"), user("two")]
    old = entry
    entry, third, context = await store.begin(KEY, user("three"), "r3", lambda e: "idle")
    assert context == [user("three")] and entry.sessionId == old.sessionId
    assert entry.lifecycleRevision == old.lifecycleRevision + 1
    assert [e.kind for e in await store.transcript(KEY)] == ["message", "message", "reset", "message"]


@pytest_twisted.ensureDeferred
async def test_list_pages_newest_first_with_search_and_activity_filters(store, clock):
    for name in ("alpha", "beta", "gamma"):
        await store.touch(f"agent:main:{name}")
        clock.advance(60)
    await store.touch("agent:main:beta", label="Special 100%")
    entries, total = await store.list()
    assert [e.key for e in entries] == ["agent:main:beta", "agent:main:gamma", "agent:main:alpha"] and total == 3
    page, total = await store.list(limit=1, offset=1)
    assert [e.key for e in page] == ["agent:main:gamma"] and total == 3
    found, total = await store.list(search="SPECIAL")
    assert [e.key for e in found] == ["agent:main:beta"] and total == 1
    assert (await store.list(search="100%"))[1] == 1 and (await store.list(search="1_0"))[1] == 0
    assert (await store.list(search="alp"))[0][0].key == "agent:main:alpha"
    recent, total = await store.list(activeMinutes=2)
    assert {e.key for e in recent} == {"agent:main:beta", "agent:main:gamma"} and total == 2


@pytest_twisted.ensureDeferred
async def test_delete_archives_the_transcript_as_json_lines(store, tmp_path, clock):
    added = await store.append("agent:main:side", user("bye"))
    entry = await store.get("agent:main:side")
    (path,) = await store.delete("agent:main:side")
    assert path.startswith(str(tmp_path / "state" / "agents" / "main" / "sessions" / f"{entry.sessionId}.jsonl.deleted."))
    lines = [json.loads(line) for line in open(path)]
    assert lines[0] == {"type": "session", "id": entry.sessionId, "key": "agent:main:side", "timestamp": entry.createdAt}
    assert lines[1]["id"] == added.id and lines[1]["message"] == user("bye")
    assert await store.get("agent:main:side") is None and await store.delete("agent:main:side") is None
    await store.append("agent:main:kept", user("stay"))
    assert await store.delete("agent:main:kept", deleteTranscript=False) == []


@pytest_twisted.ensureDeferred
async def test_maintenance_prunes_stale_then_the_oldest_over_the_cap(store, clock):
    for n in range(5):
        await store.touch(f"agent:main:s{n}")
        clock.advance(3600)
    removed = await store.maintain(int(clock.seconds() * 1000), pruneAfterMs=3 * 3600_000, maxEntries=2)
    assert removed == 3
    entries, total = await store.list()
    assert [e.key for e in entries] == ["agent:main:s4", "agent:main:s3"] and total == 2


@pytest_twisted.ensureDeferred
async def test_the_summary_counts_and_lists_recent_sessions_without_a_query(store, clock):
    await store.touch("agent:main:a")
    clock.advance(1)
    await store.append("agent:main:b", user("x"))
    clock.advance(2)
    summary = store.summary(int(clock.seconds() * 1000))
    assert summary["count"] == 2 and summary["path"] == store.path
    assert summary["recent"] == [{"key": "agent:main:b", "updatedAt": (T0 + 1) * 1000, "age": 2000},
                                 {"key": "agent:main:a", "updatedAt": T0 * 1000, "age": 3000}]
    await store.delete("agent:main:b")
    assert [e.key for e in store.recent()] == ["agent:main:a"] and store.summary(0)["count"] == 1


@pytest_twisted.ensureDeferred
async def test_a_reopened_store_has_everything_and_knows_its_counts(tmp_path, clock):
    first = SessionStores(str(tmp_path), clock)
    first.startService()
    await first.store("main").append(KEY, user("persisted"))
    await first.stopService()
    second = SessionStores(str(tmp_path), clock)
    second.startService()
    try:
        store = second.store("main")
        assert await store.context(KEY) == [user("persisted")]
        assert store.summary(0)["count"] == 1
    finally:
        await second.stopService()


@pytest_twisted.ensureDeferred
async def test_a_stopped_store_says_so(tmp_path, clock):
    store = SessionStore(str(tmp_path / "x.sqlite"), clock)
    with pytest.raises(SessionStoreNotRunning):
        await store.get(KEY)


@pytest_twisted.ensureDeferred
async def test_opened_stores_are_pruned_every_hour_by_the_current_policy(stores, clock):
    main, work = stores.store("main"), stores.store("work")
    await main.touch("agent:main:old")
    await work.touch("agent:work:old")
    clock.advance(1800)
    await work.touch("agent:work:fresh")
    stores.maintenance = Maintenance(pruneAfterMs=3000_000, maxEntries=10)
    assert await stores.maintain() == 0
    clock.advance(1800)  # the hourly pass: both "old" sessions are older than 50 minutes now
    # (each store runs its operations in order: these reads come after the pass)
    assert (await main.count(), await work.count()) == (0, 1)
    assert [e.key for e in (await work.list())[0]] == ["agent:work:fresh"]


@pytest_twisted.ensureDeferred
async def test_patch_changes_fields_from_the_current_entry_without_counting_as_activity(store, clock):
    created = await store.patch(KEY, lambda entry: {"label": "first"})
    assert created.label == "first" and created.updatedAt == T0 * 1000
    clock.advance(10)
    patched = await store.patch(KEY, lambda entry: {"label": entry.label + "+", "pinnedAt": 5})
    assert (patched.label, patched.pinnedAt, patched.updatedAt) == ("first+", 5, T0 * 1000)
    assert await store.get(KEY) == patched


@pytest_twisted.ensureDeferred
async def test_list_narrows_by_label_parent_and_key_kind(store):
    await store.touch("global")
    await store.touch("cron:nightly")
    await store.touch("agent:main:child", spawnedBy="agent:main:main", label="Kid")
    await store.touch(KEY)
    keys = lambda listed: sorted(e.key for e in listed[0])  # noqa: E731
    assert keys(await store.list()) == ["agent:main:child", KEY, "cron:nightly", "global"]
    assert keys(await store.list(includeGlobal=False, includeUnknown=False)) == ["agent:main:child", KEY]
    assert keys(await store.list(includeUnknown=False)) == ["agent:main:child", KEY, "global"]
    assert keys(await store.list(spawnedBy="agent:main:main")) == ["agent:main:child"]
    assert keys(await store.list(label="Kid")) == ["agent:main:child"] and keys(await store.list(label="kid")) == []
