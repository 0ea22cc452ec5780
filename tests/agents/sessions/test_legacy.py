"""An earlier version's C{sessions/sessions.sqlite} is moved into the agent database when its store opens."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest_twisted

from openclaw.agents.sessions.entry import SessionEntry
from openclaw.agents.sessions.stores import SessionStores
from tests.agents.sessions.conftest import KEY

OTHER = "agent:main:other"

#: The file the earlier version wrote: its tables as it defined them.
LEGACY_SCHEMA = (
    "CREATE TABLE sessions (key TEXT PRIMARY KEY, session_id TEXT NOT NULL, updated_at INTEGER NOT NULL, "
    "record TEXT NOT NULL)",
    "CREATE INDEX sessions_by_update ON sessions (updated_at)",
    "CREATE TABLE transcript (session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, parent_id TEXT, "
    "kind TEXT NOT NULL, ts INTEGER NOT NULL, run_id TEXT, message TEXT NOT NULL, PRIMARY KEY (session_id, seq)) "
    "WITHOUT ROWID",
)


def legacy_path(stateDir: str) -> str:
    return os.path.join(stateDir, "agents", "main", "sessions", "sessions.sqlite")


def write_legacy(stateDir: str) -> dict[str, SessionEntry]:
    """An earlier version's file: two sessions, three transcript entries in the first."""
    entries = {
        KEY: SessionEntry(KEY, "main", "sid-main", 100, 100, 300, label="Main", leafId="e3", status="done",
                          inputTokens=12, outputTokens=7, totalTokens=19),
        OTHER: SessionEntry(OTHER, "main", "sid-other", 200, 200, 250, spawnedBy=KEY),
    }
    path = legacy_path(stateDir)
    os.makedirs(os.path.dirname(path))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in LEGACY_SCHEMA:
            conn.execute(statement)
        for entry in entries.values():
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                         (entry.key, entry.sessionId, entry.updatedAt, json.dumps(entry.record())))
        for seq, parent, role in ((1, None, "user"), (2, "e1", "assistant"), (3, "e2", "user")):
            message = {"role": role, "content": f"m{seq}", "timestamp": 100 + seq}
            conn.execute("INSERT INTO transcript VALUES ('sid-main', ?, ?, ?, 'message', ?, ?, ?)",
                         (seq, f"e{seq}", parent, 100 + seq, "run-1" if role == "assistant" else None,
                          json.dumps(message)))
    conn.close()
    return entries


async def opened(stateDir: str, clock) -> SessionStores:
    stores = SessionStores(stateDir, clock)
    stores.startService()
    return stores


@pytest_twisted.ensureDeferred
async def test_the_sessions_of_an_earlier_file_are_moved_in_once(tmp_path, clock):
    stateDir = str(tmp_path / "state")
    before = write_legacy(stateDir)
    stores = await opened(stateDir, clock)
    try:
        store = stores.store("main")
        assert await store.get(KEY) == before[KEY] and await store.get(OTHER) == before[OTHER]
        moved = await store.transcript(KEY)
        assert [(e.seq, e.id, e.parentId, e.runId) for e in moved] == \
            [(1, "e1", None, None), (2, "e2", "e1", "run-1"), (3, "e3", "e2", None)]
        assert await store.context(KEY) == [e.message for e in moved]
        added = await store.append(KEY, {"role": "assistant", "content": "m4"})
        assert (added.seq, added.parentId) == (4, "e3")
    finally:
        await stores.stopService()
    assert not os.path.exists(legacy_path(stateDir))
    assert os.path.exists(legacy_path(stateDir) + ".migrated")

    again = await opened(stateDir, clock)
    try:
        assert await again.store("main").count() == 2
        assert len(await again.store("main").transcript(KEY)) == 4
    finally:
        await again.stopService()


@pytest_twisted.ensureDeferred
async def test_a_move_cut_short_is_done_again_keeping_what_arrived(tmp_path, clock):
    stateDir = str(tmp_path / "state")
    before = write_legacy(stateDir)
    os.rename(legacy_path(stateDir), legacy_path(stateDir) + ".aside")
    first = await opened(stateDir, clock)
    try:  # what a first, interrupted move left: one session, changed since, and its first entry
        kept = await first.store("main").touch(KEY, sessionId="sid-main", label="changed since")
        await first.store("main").append(KEY, {"role": "user", "content": "m1"})
    finally:
        await first.stopService()
    os.rename(legacy_path(stateDir) + ".aside", legacy_path(stateDir))

    second = await opened(stateDir, clock)
    try:
        store = second.store("main")
        assert (await store.get(KEY)).label == "changed since" and (await store.get(KEY)).sessionId == kept.sessionId
        assert await store.get(OTHER) == before[OTHER]
        assert [e.seq for e in await store.transcript(KEY)] == [1, 2, 3]
    finally:
        await second.stopService()
