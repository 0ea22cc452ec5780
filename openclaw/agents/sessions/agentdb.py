"""
The per-agent database file of OpenClaw 2026.9.x
(C{<stateDir>/agents/<agentId>/agent/openclaw-agent.sqlite}, schema version 23),
which our session store uses as its file, so that the real OpenClaw CLI
(C{openclaw sessions}, C{openclaw status}), which reads this file itself instead
of asking the gateway, lists our sessions.

A new file gets OpenClaw's session tables with their indexes and triggers
(C{agentdb-schema-23.sql}, the definitions a file the real gateway wrote holds),
because the real CLI compares them with its own before it reads a row; the rest of
OpenClaw's schema is left out (the real C{openclaw doctor} reports it as
incomplete). Of those tables the store fills:

- C{schema_meta}: the row C{primary} naming the role C{agent} and the agent's id,
  with C{PRAGMA user_version} 23 (what the real CLI checks before anything else);
- C{session_key_contract}: the main key C{main};
- C{session_nodes}: one row per session: the key, the current C{sessionId}, the
  session entry as JSON (C{entry_json}: our L{SessionEntry} without key and agent
  id; the real CLI reads the fields from there), C{updated_at}, C{spawned_by} and
  C{parent_session_key} (which must equal the entry's C{spawnedBy}), and
  C{entry_valid} 1 (the row was checked; the triggers reset it to 0 on every
  change, so each write sets it again). The layout's other entry columns (label,
  status, ...) stay empty: each is one more index to update on every write, and
  no reader of ours or the real CLI's needs them.

Transcripts are kept in a table of ours (C{gateway_transcript}) in the same file:
OpenClaw's transcript tables come with derived index tables (active events, full
text search, identities) whose invariants its readers check, and which we do not
maintain. The real CLI only reads this file (as observed against 2026.9.6: it opens
it read-only, and its doctor leaves it as it is).
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import orjson

from openclaw.agents.sessions.entry import SessionEntry

#: The schema version (C{PRAGMA user_version}) of OpenClaw 2026.9.x agent databases.
SCHEMA_VERSION = 23
#: What C{session_key_contract.main_key} says; any other value makes the real CLI
#: refuse keys ending in C{:main}, which ours may have.
CONTRACT_MAIN_KEY = "main"
#: OpenClaw's schema, one statement per item.
SCHEMA_FILE = os.path.join(os.path.dirname(__file__), f"agentdb-schema-{SCHEMA_VERSION}.sql")


def _statements(path: str) -> tuple[str, ...]:
    statements, pending = [], ""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not pending and (not line.strip() or line.startswith("--")):
                continue
            pending += line
            if sqlite3.complete_statement(pending):
                statements.append(pending.strip())
                pending = ""
    return tuple(statements)


OPENCLAW_SCHEMA = _statements(SCHEMA_FILE)

TRANSCRIPT_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS gateway_transcript (
        session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, parent_id TEXT,
        kind TEXT NOT NULL, ts INTEGER NOT NULL, run_id TEXT, message TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)) WITHOUT ROWID""",
)

#: The columns of a C{session_nodes} row we write.
_NODE_COLUMNS = ("session_key", "current_session_id", "entry_json", "updated_at", "parent_session_key", "spawned_by")
_UPSERT_NODE = (
    f"INSERT INTO session_nodes ({', '.join(_NODE_COLUMNS)}) VALUES ({', '.join('?' * len(_NODE_COLUMNS))}) "
    f"ON CONFLICT (session_key) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _NODE_COLUMNS[1:])}"
)

#: Reads rows for L{entry_of}.
SELECT_NODES = "SELECT session_key, current_session_id, updated_at, entry_json FROM session_nodes"


class AgentDatabaseError(Exception):
    """The file at an agent database's path is not one this store can use (the message says why)."""


def prepare(conn: sqlite3.Connection, path: str, agentId: str, nowMs: int, appVersion: str) -> None:
    """
    Make the file at C{path} (opened as C{conn}) agent C{agentId}'s database: in a
    new, empty file create the schema; in an existing one check that it is an
    agent database of C{agentId} at L{SCHEMA_VERSION}. Either way add our
    transcript table. One transaction.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        (tables,) = conn.execute("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchone()
        if version == 0 and tables == 0:
            _create(conn, agentId, nowMs, appVersion)
        else:
            _check(conn, path, version, agentId)
        for statement in TRANSCRIPT_SCHEMA:
            conn.execute(statement)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def _create(conn: sqlite3.Connection, agentId: str, nowMs: int, appVersion: str) -> None:
    for statement in OPENCLAW_SCHEMA:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO schema_meta (meta_key, role, schema_version, agent_id, app_version, created_at, updated_at) "
        "VALUES ('primary', 'agent', ?, ?, ?, ?, ?)",
        (SCHEMA_VERSION, agentId, appVersion, nowMs, nowMs),
    )
    conn.execute("INSERT INTO session_key_contract (id, main_key, updated_at) VALUES (1, ?, ?)", (CONTRACT_MAIN_KEY, nowMs))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _check(conn: sqlite3.Connection, path: str, version: int, agentId: str) -> None:
    if version != SCHEMA_VERSION:
        raise AgentDatabaseError(
            f"{path} has schema version {version}; this gateway reads OpenClaw agent databases of version {SCHEMA_VERSION}")
    try:
        owner = conn.execute("SELECT role, agent_id FROM schema_meta WHERE meta_key = 'primary'").fetchone()
    except sqlite3.OperationalError:
        owner = None
    if owner is None or owner[0] != "agent":
        raise AgentDatabaseError(f"{path} is not an OpenClaw agent database (no agent schema_meta row)")
    if owner[1] != agentId:
        raise AgentDatabaseError(f"{path} belongs to agent {owner[1]!r}, not {agentId!r}")


def put_node(cursor: Any, entry: SessionEntry) -> None:
    """Write C{entry} as its C{session_nodes} row, marked checked (C{entry_valid} 1, nothing pending)."""
    record = entry.record()
    del record["key"], record["agentId"]
    cursor.execute(_UPSERT_NODE, (
        entry.key, entry.sessionId, orjson.dumps(record).decode(), entry.updatedAt, entry.spawnedBy, entry.spawnedBy,
    ))
    # the triggers have just set entry_valid to 0 and queued the key for checking
    cursor.execute("UPDATE session_nodes SET entry_valid = 1 WHERE session_key = ?", (entry.key,))
    cursor.execute("DELETE FROM session_canonical_validation_pending WHERE session_key = ?", (entry.key,))


def entry_of(row: tuple, agentId: str) -> SessionEntry:
    """The L{SessionEntry} of a L{SELECT_NODES} row (times an entry lacks default to its C{updated_at})."""
    key, sessionId, updatedAt, entryJson = row
    record = {"sessionId": sessionId, "updatedAt": updatedAt, "createdAt": updatedAt, "sessionStartedAt": updatedAt,
              **orjson.loads(entryJson), "key": key, "agentId": agentId}
    return SessionEntry.fromRecord(record)
