"""
The store's file is an OpenClaw agent database (schema version 23): what the real
CLI checks before it lists a session (its end-to-end check is in tests/interop).
"""

from __future__ import annotations

import json
import sqlite3

import pytest
import pytest_twisted

from openclaw.agents.sessions.agentdb import OPENCLAW_SCHEMA, SCHEMA_VERSION, AgentDatabaseError
from openclaw.agents.sessions.store import SessionStore
from tests.agents.sessions.conftest import KEY, T0

#: The triggers the real CLI compares with its own definitions before it reads a row.
CHECKED_TRIGGERS = {
    "session_key_contract_canonical_pending_after_insert", "session_key_contract_canonical_pending_after_update",
    "session_key_contract_canonical_pending_after_delete", "session_nodes_entry_valid_after_insert",
    "session_nodes_entry_valid_after_entry_update", "session_nodes_entry_valid_after_identity_update",
    "session_nodes_canonical_pending_after_insert", "session_nodes_canonical_pending_after_update",
    "session_nodes_canonical_pending_after_delete", "session_windows_canonical_pending_after_insert",
    "session_windows_canonical_pending_after_update", "session_windows_canonical_pending_after_delete",
}


def read(path: str, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


@pytest_twisted.ensureDeferred
async def test_a_new_file_is_an_agent_database_of_schema_version_23(store):
    await store.touch(KEY)
    assert read(store.path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert read(store.path, "PRAGMA journal_mode") == [("wal",)]
    ((role, agentId, version, created),) = read(
        store.path, "SELECT role, agent_id, schema_version, created_at FROM schema_meta WHERE meta_key = 'primary'")
    assert (role, agentId, version, created) == ("agent", "main", 23, T0 * 1000)
    assert read(store.path, "SELECT main_key FROM session_key_contract") == [("main",)]
    created = {sql for (sql,) in read(store.path, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")}
    assert {statement.rstrip(";") for statement in OPENCLAW_SCHEMA} <= created  # the session tables as OpenClaw has them
    assert {name for (name,) in read(store.path, "SELECT name FROM sqlite_master WHERE type = 'trigger'")} >= \
        CHECKED_TRIGGERS


@pytest_twisted.ensureDeferred
async def test_a_session_is_one_checked_session_nodes_row(store):
    await store.touch(KEY, label="Hello", spawnedBy="agent:main:parent", status="done")
    entry = await store.append(KEY, {"role": "user", "content": "hi"})
    ((sessionId, entryJson, valid, updatedAt, spawnedBy, parent),) = read(
        store.path, "SELECT current_session_id, entry_json, entry_valid, updated_at, spawned_by, parent_session_key "
                    "FROM session_nodes WHERE session_key = ?", KEY)
    stored = json.loads(entryJson)
    assert stored["sessionId"] == sessionId and stored["leafId"] == entry.id
    assert (stored["label"], stored["status"], stored["updatedAt"]) == ("Hello", "done", updatedAt)
    assert "key" not in stored and "agentId" not in stored  # the row's key and the file's owner say so
    assert valid == 1
    assert spawnedBy == parent == stored["spawnedBy"] == "agent:main:parent"
    assert read(store.path, "SELECT count(*) FROM session_canonical_validation_pending") == [(0,)]
    assert read(store.path, "SELECT count(*) FROM gateway_transcript WHERE session_id = ?", sessionId) == [(1,)]


@pytest_twisted.ensureDeferred
async def test_a_row_written_by_openclaw_reads_as_a_session(store):
    await store.touch("agent:main:ours")
    with sqlite3.connect(store.path) as conn:
        conn.execute("INSERT INTO session_nodes (session_key, current_session_id, entry_json, updated_at) "
                     "VALUES (?, ?, ?, ?)",
                     ("agent:main:theirs", "sid-1", json.dumps({"sessionId": "sid-1", "updatedAt": 5, "skills": []}), 5))
    theirs = await store.get("agent:main:theirs")
    assert (theirs.sessionId, theirs.agentId, theirs.updatedAt, theirs.createdAt, theirs.sessionStartedAt) == \
        ("sid-1", "main", 5, 5, 5)
    assert [e.key for e in (await store.list())[0]] == ["agent:main:ours", "agent:main:theirs"]


def contents(path: str) -> tuple:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone(), list(conn.iterdump())


async def opened(path: str, clock, agentId: str) -> SessionStore:
    store = SessionStore(path, clock, agentId)
    store.startService()
    return store


@pytest_twisted.ensureDeferred
async def test_a_file_of_another_agent_is_refused(tmp_path, clock):
    path = str(tmp_path / "openclaw-agent.sqlite")
    work = await opened(path, clock, "work")
    await work.touch(KEY)
    await work.stopService()
    main = await opened(path, clock, "main")
    try:
        with pytest.raises(AgentDatabaseError, match="belongs to agent 'work', not 'main'"):
            await main.get(KEY)
    finally:
        await main.stopService()


@pytest.mark.parametrize("setup, message", [
    ("PRAGMA user_version = 24", "schema version 24; this gateway reads OpenClaw agent databases of version 23"),
    ("CREATE TABLE notes (text TEXT)", "schema version 0"),
    ("PRAGMA user_version = 23", "not an OpenClaw agent database"),
])
@pytest_twisted.ensureDeferred
async def test_a_file_that_is_no_agent_database_of_version_23_is_refused_and_its_contents_left_alone(tmp_path, clock, setup,
                                                                                          message):
    path = str(tmp_path / "openclaw-agent.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute(setup)
    before = contents(path)
    store = await opened(path, clock, "main")
    try:
        with pytest.raises(AgentDatabaseError, match=message):
            await store.count()
    finally:
        await store.stopService()
    assert contents(path) == before
