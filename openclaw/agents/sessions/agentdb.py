"""
The per-agent database file of OpenClaw 2026.9.x
(C{<stateDir>/agents/<agentId>/agent/openclaw-agent.sqlite}, schema version 23),
as far as our session store fills it, so that the real OpenClaw CLI
(C{openclaw sessions}, C{openclaw status}), which reads this file itself, lists
our sessions.

What the real CLI needs, as observed against 2026.9.6 (it opens the file
read-only and never writes it):

- C{PRAGMA user_version} 23 and a C{schema_meta} row C{primary} naming the role
  C{agent} and the agent's id;
- the tables C{session_nodes}, C{session_windows}, C{session_key_contract} and
  C{session_canonical_validation_pending} with the exact definitions and
  triggers below (it compares them, whitespace aside, before it reads a row);
- one C{session_nodes} row per session: the key, the current C{sessionId}, the
  session entry as JSON (C{entry_json}, our L{SessionEntry} without key and agent
  id), C{entry_valid} 1 (the row was checked; the triggers reset it to 0 on every
  change, so each write sets it again) and a few entry fields copied into their
  columns (C{spawned_by} and C{parent_session_key} must equal the entry's
  C{spawnedBy}).

The statements below are the definitions that OpenClaw's own database holds for
those tables (read from a file it wrote), so a file either side created is one
the other can read. Transcripts are kept in a table of ours
(C{gateway_transcript}) in the same file: OpenClaw's transcript tables come
with derived index tables their readers check, which we do not maintain.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from openclaw.agents.sessions.entry import SessionEntry

#: The schema version (C{PRAGMA user_version}) of OpenClaw 2026.9.x agent databases.
SCHEMA_VERSION = 23
#: What C{session_key_contract.main_key} says; any other value makes the real CLI
#: refuse keys ending in C{:main}, which ours may have.
CONTRACT_MAIN_KEY = "main"

OPENCLAW_SCHEMA = (
    """CREATE TABLE schema_meta (
  meta_key TEXT NOT NULL PRIMARY KEY,
  role TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  agent_id TEXT,
  app_version TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT""",
    """CREATE TABLE session_key_contract (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  main_key TEXT NOT NULL,
  canonical_ready TEXT,
  updated_at INTEGER NOT NULL
) STRICT""",
    """CREATE TABLE session_nodes (
  session_key TEXT NOT NULL PRIMARY KEY,
  current_session_id TEXT NOT NULL,
  entry_json TEXT NOT NULL,
  legacy_acp_migration_json TEXT,
  entry_valid INTEGER NOT NULL DEFAULT 0 CHECK (entry_valid IN (-1, 0, 1)),
  updated_at INTEGER NOT NULL,
  status TEXT CHECK (status IS NULL OR status IN ('running', 'done', 'failed', 'killed', 'timeout')),
  created_at INTEGER,
  created_via TEXT CHECK (created_via IS NULL OR created_via IN ('operator', 'spawn', 'channel', 'cron', 'talk', 'run', 'plugin', 'internal')),
  created_actor_type TEXT CHECK (created_actor_type IS NULL OR created_actor_type IN ('human', 'agent', 'system')),
  created_actor_id TEXT,
  owner_actor_type TEXT,
  owner_actor_id TEXT,
  owner_assigned_by_type TEXT,
  owner_assigned_by_id TEXT,
  owner_assigned_at INTEGER,
  project_id TEXT,
  parent_session_key TEXT,
  spawned_by TEXT,
  fork_source_session_key TEXT,
  fork_source_session_id TEXT,
  fork_source_entry_id TEXT,
  label TEXT,
  display_name TEXT,
  category TEXT,
  icon TEXT,
  pinned_at INTEGER,
  archived_at INTEGER,
  last_read_at INTEGER,
  last_interaction_at INTEGER,
  last_activity_at INTEGER
) STRICT""",
    """CREATE TABLE session_windows (
  session_id TEXT NOT NULL PRIMARY KEY,
  session_key TEXT NOT NULL,
  previous_session_id TEXT,
  reason TEXT CHECK (reason IS NULL OR reason IN ('initial', 'reset', 'rollover', 'fork', 'rewind', 'switch', 'recovery', 'compaction')),
  session_scope TEXT NOT NULL DEFAULT 'conversation' CHECK (session_scope IN ('conversation', 'shared-main', 'group', 'channel')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  transcript_updated_at INTEGER DEFAULT NULL,
  transcript_observed_at INTEGER DEFAULT NULL,
  session_entry_provenance INTEGER NOT NULL DEFAULT 0 CHECK (session_entry_provenance IN (0, 1)),
  acp_owned INTEGER NOT NULL DEFAULT 0 CHECK (acp_owned IN (0, 1)),
  plugin_owner_id TEXT,
  hook_external_content_source TEXT CHECK (hook_external_content_source IS NULL OR hook_external_content_source IN ('gmail', 'webhook')),
  started_at INTEGER,
  ended_at INTEGER,
  status TEXT CHECK (status IS NULL OR status IN ('running', 'done', 'failed', 'killed', 'timeout')),
  chat_type TEXT CHECK (chat_type IS NULL OR chat_type IN ('direct', 'group', 'channel')),
  channel TEXT,
  account_id TEXT,
  primary_conversation_id TEXT,
  model_provider TEXT,
  model TEXT,
  agent_harness_id TEXT,
  parent_session_key TEXT,
  spawned_by TEXT,
  display_name TEXT,
  FOREIGN KEY (session_key) REFERENCES session_nodes(session_key) ON DELETE CASCADE,
  FOREIGN KEY (primary_conversation_id) REFERENCES conversations(conversation_id) ON DELETE SET NULL
) STRICT""",
    """CREATE TABLE session_canonical_validation_pending (
  session_key TEXT NOT NULL PRIMARY KEY
) STRICT""",
    """CREATE INDEX idx_agent_session_nodes_updated_at
  ON session_nodes(updated_at DESC, session_key)""",
    """CREATE INDEX idx_agent_session_nodes_last_interaction_at
  ON session_nodes(last_interaction_at DESC, session_key)""",
    """CREATE INDEX idx_agent_session_nodes_label
  ON session_nodes(label, session_key)
  WHERE label IS NOT NULL""",
    """CREATE INDEX idx_agent_session_nodes_parent_session_key
  ON session_nodes(parent_session_key, session_key)""",
    """CREATE INDEX idx_agent_session_nodes_spawned_by
  ON session_nodes(spawned_by, session_key)""",
    """CREATE INDEX idx_agent_session_nodes_status
  ON session_nodes(status, session_key)
  WHERE status IS NOT NULL""",
    """CREATE INDEX idx_agent_session_nodes_archived_at
  ON session_nodes(archived_at, session_key)
  WHERE archived_at IS NOT NULL""",
    """CREATE INDEX idx_agent_session_nodes_active
  ON session_nodes(session_key)
  WHERE archived_at IS NULL""",
    """CREATE INDEX idx_agent_session_nodes_current_session_id
  ON session_nodes(current_session_id)""",
    """CREATE INDEX idx_agent_session_nodes_entry_valid_pending
  ON session_nodes(session_key)
  WHERE entry_valid = 0""",
    """CREATE INDEX idx_agent_session_nodes_entry_not_valid
  ON session_nodes(session_key)
  WHERE entry_valid != 1""",
    """CREATE INDEX idx_agent_session_windows_updated_at
  ON session_windows(updated_at DESC, session_id)""",
    """CREATE INDEX idx_agent_session_windows_session_key
  ON session_windows(session_key, updated_at DESC, session_id)""",
    """CREATE INDEX idx_agent_session_windows_created_at
  ON session_windows(created_at DESC, session_id)""",
    """CREATE INDEX idx_agent_session_windows_conversation
  ON session_windows(primary_conversation_id, updated_at DESC, session_id)
  WHERE primary_conversation_id IS NOT NULL""",
    """CREATE TRIGGER session_key_contract_canonical_pending_after_insert
AFTER INSERT ON session_key_contract
BEGIN
  INSERT INTO session_canonical_validation_pending (session_key)
  SELECT node.session_key FROM session_nodes AS node
  WHERE NOT EXISTS (
    SELECT 1 FROM session_canonical_validation_pending AS pending
    WHERE pending.session_key = node.session_key
  );
END""",
    """CREATE TRIGGER session_key_contract_canonical_pending_after_update
AFTER UPDATE OF main_key ON session_key_contract
WHEN OLD.main_key IS NOT NEW.main_key
BEGIN
  INSERT INTO session_canonical_validation_pending (session_key)
  SELECT node.session_key FROM session_nodes AS node
  WHERE NOT EXISTS (
    SELECT 1 FROM session_canonical_validation_pending AS pending
    WHERE pending.session_key = node.session_key
  );
END""",
    """CREATE TRIGGER session_key_contract_canonical_pending_after_delete
AFTER DELETE ON session_key_contract
BEGIN
  INSERT INTO session_canonical_validation_pending (session_key)
  SELECT node.session_key FROM session_nodes AS node
  WHERE NOT EXISTS (
    SELECT 1 FROM session_canonical_validation_pending AS pending
    WHERE pending.session_key = node.session_key
  );
END""",
    """CREATE TRIGGER session_nodes_entry_valid_after_insert
AFTER INSERT ON session_nodes
BEGIN
  UPDATE session_nodes SET entry_valid = 0 WHERE session_key = NEW.session_key;
END""",
    """CREATE TRIGGER session_nodes_entry_valid_after_entry_update
AFTER UPDATE OF entry_json ON session_nodes
BEGIN
  UPDATE session_nodes SET entry_valid = 0 WHERE session_key = NEW.session_key;
END""",
    """CREATE TRIGGER session_nodes_entry_valid_after_identity_update
AFTER UPDATE OF current_session_id, updated_at ON session_nodes
BEGIN
  UPDATE session_nodes SET entry_valid = 0 WHERE session_key = NEW.session_key;
END""",
    """CREATE TRIGGER session_nodes_canonical_pending_after_insert
AFTER INSERT ON session_nodes
BEGIN
  INSERT INTO session_canonical_validation_pending (session_key)
  SELECT NEW.session_key
  WHERE NOT EXISTS (
    SELECT 1 FROM session_canonical_validation_pending WHERE session_key = NEW.session_key
  );
END""",
    """CREATE TRIGGER session_nodes_canonical_pending_after_update
AFTER UPDATE OF session_key, current_session_id, entry_json, entry_valid,
  parent_session_key, spawned_by, fork_source_session_key ON session_nodes
WHEN OLD.session_key IS NOT NEW.session_key
  OR OLD.current_session_id IS NOT NEW.current_session_id
  OR OLD.entry_json IS NOT NEW.entry_json
  OR OLD.entry_valid IS NOT NEW.entry_valid
  OR OLD.parent_session_key IS NOT NEW.parent_session_key
  OR OLD.spawned_by IS NOT NEW.spawned_by
  OR OLD.fork_source_session_key IS NOT NEW.fork_source_session_key
BEGIN
  DELETE FROM session_canonical_validation_pending
  WHERE session_key = OLD.session_key AND OLD.session_key IS NOT NEW.session_key;
  INSERT INTO session_canonical_validation_pending (session_key)
  SELECT NEW.session_key
  WHERE NOT EXISTS (
    SELECT 1 FROM session_canonical_validation_pending WHERE session_key = NEW.session_key
  );
END""",
    """CREATE TRIGGER session_nodes_canonical_pending_after_delete
AFTER DELETE ON session_nodes
BEGIN
  DELETE FROM session_canonical_validation_pending WHERE session_key = OLD.session_key;
END""",
    """CREATE TRIGGER session_windows_canonical_pending_after_insert
AFTER INSERT ON session_windows
BEGIN
  INSERT INTO session_canonical_validation_pending (session_key)
  SELECT node.session_key FROM session_nodes AS node
  WHERE node.current_session_id = NEW.session_id
    AND NOT EXISTS (
      SELECT 1 FROM session_canonical_validation_pending AS pending
      WHERE pending.session_key = node.session_key
    );
END""",
    """CREATE TRIGGER session_windows_canonical_pending_after_update
AFTER UPDATE OF session_id, session_key ON session_windows
WHEN OLD.session_id IS NOT NEW.session_id OR OLD.session_key IS NOT NEW.session_key
BEGIN
  INSERT INTO session_canonical_validation_pending (session_key)
  SELECT node.session_key FROM session_nodes AS node
  WHERE node.current_session_id IN (OLD.session_id, NEW.session_id)
    AND NOT EXISTS (
      SELECT 1 FROM session_canonical_validation_pending AS pending
      WHERE pending.session_key = node.session_key
    );
END""",
    """CREATE TRIGGER session_windows_canonical_pending_after_delete
AFTER DELETE ON session_windows
BEGIN
  INSERT INTO session_canonical_validation_pending (session_key)
  SELECT node.session_key FROM session_nodes AS node
  WHERE node.current_session_id = OLD.session_id
    AND NOT EXISTS (
      SELECT 1 FROM session_canonical_validation_pending AS pending
      WHERE pending.session_key = node.session_key
    );
END""",
)

TRANSCRIPT_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS gateway_transcript (
        session_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, parent_id TEXT,
        kind TEXT NOT NULL, ts INTEGER NOT NULL, run_id TEXT, message TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)) WITHOUT ROWID""",
)

#: C{session_nodes.status} takes only these (a run's outcome).
_STATUSES = frozenset({"running", "done", "failed", "killed", "timeout"})

#: The columns of a C{session_nodes} row we write: the key, the entry, and entry
#: fields the real layout also keeps in columns of their own.
_NODE_COLUMNS = (
    "session_key", "current_session_id", "entry_json", "updated_at", "status", "created_at", "parent_session_key",
    "spawned_by", "label", "display_name", "pinned_at", "archived_at", "last_read_at", "last_interaction_at",
    "last_activity_at",
)
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
        entry.key, entry.sessionId, orjson.dumps(record).decode(), entry.updatedAt,
        entry.status if entry.status in _STATUSES else None, entry.createdAt, entry.spawnedBy, entry.spawnedBy,
        entry.label, entry.displayName, entry.pinnedAt, entry.archivedAt, entry.lastReadAt, entry.lastInteractionAt,
        entry.lastActivityAt,
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
