"""
Sessions that an earlier version of this gateway kept in a file of their own,
C{<stateDir>/agents/<agentId>/sessions/sessions.sqlite} (tables C{sessions}: key →
the entry as JSON, and C{transcript}), moved into the agent database when its
store first opens it. The old file is then renamed C{sessions.sqlite.migrated}
(with its C{-wal}/C{-shm} companions, should any be left), so it is read once.

A move that is cut short leaves the old file in place and is simply done again:
sessions already in the agent database are kept as they are, transcript entries
already there are not copied twice.
"""

from __future__ import annotations

import os
import sqlite3

import orjson

from openclaw.agents.sessions.agentdb import put_node
from openclaw.agents.sessions.entry import SessionEntry

#: What the moved file is renamed to (the path plus this suffix).
MIGRATED_SUFFIX = ".migrated"


def migrate(conn: sqlite3.Connection, legacyPath: str) -> int:
    """Move the sessions and transcripts of C{legacyPath} (if it exists) into C{conn}; returns how many sessions moved."""
    if not os.path.exists(legacyPath):
        return 0
    conn.execute("ATTACH DATABASE ? AS legacy", (legacyPath,))
    try:
        moved = _copy(conn)
    finally:
        conn.execute("DETACH DATABASE legacy")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(legacyPath + suffix):
            os.replace(legacyPath + suffix, legacyPath + MIGRATED_SUFFIX + suffix)
    return moved


def _copy(conn: sqlite3.Connection) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        present = {key for (key,) in conn.execute("SELECT session_key FROM session_nodes")}
        moved = 0
        for (record,) in conn.execute("SELECT record FROM legacy.sessions").fetchall():
            entry = SessionEntry.fromRecord(orjson.loads(record))
            if entry.key not in present:
                put_node(conn, entry)
                moved += 1
        conn.execute(
            "INSERT OR IGNORE INTO gateway_transcript (session_id, seq, id, parent_id, kind, ts, run_id, message) "
            "SELECT session_id, seq, id, parent_id, kind, ts, run_id, message FROM legacy.transcript"
        )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return moved
