"""
One agent's sessions and transcripts: the agent's database file
(C{<stateDir>/agents/<agentId>/agent/openclaw-agent.sqlite}, WAL, laid out as
OpenClaw's own, see L{openclaw.agents.sessions.agentdb}) used through one
C{adbapi} connection on its own thread (L{openclaw.sqlitepool}), so every operation
below is one transaction, committed before its Deferred fires, and nothing blocks
the reactor. A transcript entry that was appended survives the process being killed.

    session_nodes       key → the session's row (L{SessionEntry} as JSON)
    gateway_transcript  (sessionId, seq) → append-only entries, each naming its parent

When the store first opens the file, the sessions of an earlier version of this
gateway (its own C{sessions/sessions.sqlite}) are moved in (L{legacy}).

A reset keeps the key and the C{sessionId}, and appends a reset marker: the model's
context starts after the newest marker. A delete removes the row and archives the
transcript as JSON lines into the archive dir (the agent's C{sessions/}
directory, where OpenClaw puts them too).

The store also keeps, on the reactor thread, how many sessions there are and the
most recently updated ones (L{summary}, L{recent}), so health and status can be
answered without a query.
"""

from __future__ import annotations

import datetime
import os
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import orjson
from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from openclaw import VERSION
from openclaw.agents.sessions import agentdb, legacy
from openclaw.agents.sessions.entry import MESSAGE, RESET, SessionEntry, TranscriptEntry, reset_message
from openclaw.agents.sessions.maintenance import prune_keys
from openclaw.protocol.errors import UNAVAILABLE, GatewayError
from openclaw.sqlitepool import SQLiteStore

#: How many of the most recently updated sessions the store keeps in memory.
RECENT = 10

_ENTRY_COLUMNS = "id, parent_id, seq, ts, kind, message, run_id"


class SessionStoreNotRunning(GatewayError):
    """The store was used while stopped (a request that raced a shutdown or restart)."""

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE, "session store is not running; retry once the gateway is up", retryable=True)


def _entry(row: tuple) -> TranscriptEntry:
    entryId, parentId, seq, ts, kind, message, runId = row
    return TranscriptEntry(entryId, parentId, seq, ts, kind, orjson.loads(message), runId)


class _Tx:
    """One transaction's view of the store (runs on the database thread)."""

    def __init__(self, cursor: Any, nowMs: int, agentId: str) -> None:
        self.cursor = cursor
        self.nowMs = nowMs
        self.agentId = agentId

    def get(self, key: str) -> SessionEntry | None:
        row = self.cursor.execute(f"{agentdb.SELECT_NODES} WHERE session_key = ?", (key,)).fetchone()
        return agentdb.entry_of(row, self.agentId) if row else None

    def put(self, entry: SessionEntry) -> SessionEntry:
        agentdb.put_node(self.cursor, entry)
        return entry

    def create(self, key: str) -> SessionEntry:
        now = self.nowMs
        return SessionEntry(key, self.agentId, str(uuid.uuid4()), createdAt=now, sessionStartedAt=now, updatedAt=now)

    def touch(self, key: str, fields: Mapping[str, Any]) -> tuple[SessionEntry, bool]:
        existing = self.get(key)
        entry = existing or self.create(key)
        return self.put(entry.updated(**{"updatedAt": self.nowMs, **fields})), existing is None

    def append(self, entry: SessionEntry, kind: str, message: Mapping[str, Any], runId: str | None) -> TranscriptEntry:
        (last,) = self.cursor.execute(
            "SELECT coalesce(max(seq), 0) FROM gateway_transcript WHERE session_id = ?", (entry.sessionId,)
        ).fetchone()
        ts = message.get("timestamp")
        if not isinstance(ts, int):  # every stored message says when it was written
            ts = self.nowMs
            message = {**message, "timestamp": ts}
        added = TranscriptEntry(uuid.uuid4().hex, entry.leafId, last + 1, ts, kind, dict(message), runId)
        self.cursor.execute(
            f"INSERT INTO gateway_transcript (session_id, {_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.sessionId, added.id, added.parentId, added.seq, added.timestamp, kind,
             orjson.dumps(added.message).decode(), runId),
        )
        return added

    def entries(self, sessionId: str, where: str = "", args: tuple = (), order: str = "ASC",
                limit: int = -1) -> list[TranscriptEntry]:
        rows = self.cursor.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM gateway_transcript WHERE session_id = ? {where} ORDER BY seq {order} LIMIT ?",
            (sessionId, *args, limit),
        ).fetchall()
        return [_entry(row) for row in rows]

    def count(self) -> int:
        return self.cursor.execute("SELECT count(*) FROM session_nodes").fetchone()[0]

    def recent(self) -> list[SessionEntry]:
        rows = self.cursor.execute(f"{agentdb.SELECT_NODES} ORDER BY updated_at DESC LIMIT ?", (RECENT,)).fetchall()
        return [agentdb.entry_of(row, self.agentId) for row in rows]


@dataclass(frozen=True)
class _ListFilter:
    """Which sessions L{SessionStore.list} returns, as SQL."""

    search: str | None = None
    activeMinutes: int | None = None
    label: str | None = None
    spawnedBy: str | None = None
    includeGlobal: bool = True
    includeUnknown: bool = True

    def sql(self, nowMs: int) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if self.activeMinutes is not None:
            clauses.append("updated_at >= ?")
            args.append(nowMs - self.activeMinutes * 60_000)
        if self.search:
            pattern = "%" + self.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            fields = ("session_key", "json_extract(entry_json, '$.label')", "json_extract(entry_json, '$.displayName')")
            clauses.append("(" + " OR ".join(f"lower(coalesce({f}, '')) LIKE ? ESCAPE '\\'" for f in fields) + ")")
            args.extend([pattern] * len(fields))
        for column, value in (("json_extract(entry_json, '$.label')", self.label), ("spawned_by", self.spawnedBy)):
            if value is not None:
                clauses.append(f"{column} = ?")
                args.append(value)
        if not self.includeGlobal:
            clauses.append("session_key != 'global'")
        if not self.includeUnknown:
            clauses.append("(session_key = 'global' OR session_key LIKE 'agent:%')")
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


class SessionStore(SQLiteStore):
    """
    The sessions and transcripts of agent C{agentId}, in its database file C{path};
    the sessions of C{legacyPath} (a file of an earlier version) are moved in on open.
    """

    log = Logger()

    def __init__(self, path: str, clock: IReactorTime, agentId: str = "main", archiveDir: str | None = None,
                 legacyPath: str | None = None) -> None:
        self.path = path
        self.agentId = agentId
        self.name = agentId
        #: Where deleted transcripts go (default: beside the database).
        self.archiveDir = archiveDir or os.path.dirname(path)
        self.legacyPath = legacyPath
        self._clock = clock
        self._count = 0
        self._recent: list[SessionEntry] = []

    # service ------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self._run(lambda tx: (tx.count(), tx.recent())).addCallbacks(
            self._loaded, lambda f: self.log.failure("could not read the session store {path}", f, path=self.path)
        )

    def _opened(self, conn: Any) -> None:
        """(In the store's thread) WAL, then the agent database's schema, then anything to move in."""
        super()._opened(conn)
        agentdb.prepare(conn, self.path, self.agentId, self._nowMs(), f"openclaw-gateway {VERSION}")
        if self.legacyPath is not None:
            legacy.migrate(conn, self.legacyPath)

    def _nowMs(self) -> int:
        return int(self._clock.seconds() * 1000)

    def _run(self, operation: Callable[..., Any], *args: Any) -> Deferred:
        if self._pool is None:
            return fail(SessionStoreNotRunning())
        nowMs = self._nowMs()
        return self._pool.runInteraction(lambda cursor: operation(_Tx(cursor, nowMs, self.agentId), *args))

    # the in-memory summary -------------------------------------------------------

    def _loaded(self, stats: tuple[int, list[SessionEntry]]) -> None:
        self._count, self._recent = stats

    def _updated(self, entry: SessionEntry, created: bool) -> SessionEntry:
        self._count += created
        recent = [e for e in self._recent if e.key != entry.key] + [entry]
        self._recent = sorted(recent, key=lambda e: e.updatedAt, reverse=True)[:RECENT]
        return entry

    def summary(self, nowMs: int) -> dict[str, Any]:
        """C{{path, count, recent:[{key, updatedAt, age}]}}: the sessions part of C{health}."""
        return {
            "path": self.path,
            "count": self._count,
            "recent": [{"key": e.key, "updatedAt": e.updatedAt, "age": max(0, nowMs - e.updatedAt)}
                       for e in self._recent],
        }

    def recent(self) -> list[SessionEntry]:
        """The most recently updated sessions (at most L{RECENT}), newest first."""
        return list(self._recent)

    # sessions -------------------------------------------------------------------

    def get(self, key: str) -> Deferred:
        """Fires with the L{SessionEntry} of C{key}, or None."""
        return self._run(lambda tx: tx.get(key))

    def touch(self, key: str, **fields: Any) -> Deferred:
        """
        Create the session (with a new C{sessionId}) when it is missing, set
        C{fields} and C{updatedAt}; fires with the L{SessionEntry}.
        """
        return self._run(lambda tx: tx.touch(key, fields)).addCallback(lambda result: self._updated(*result))

    def patch(self, key: str, change: Callable[[SessionEntry], Mapping[str, Any]]) -> Deferred:
        """
        Apply C{change(entry)} (a pure function, run in the store's thread, so a
        compare-and-set is atomic) to the session, created when missing; unlike
        L{touch} this does not count as activity (C{updatedAt} stays). Fires with
        the L{SessionEntry}.
        """
        return self._run(self._patch, key, change).addCallback(lambda result: self._updated(*result))

    @staticmethod
    def _patch(tx: _Tx, key: str, change: Callable[[SessionEntry], Mapping[str, Any]]) -> tuple[SessionEntry, bool]:
        existing = tx.get(key)
        entry = existing or tx.create(key)
        return tx.put(entry.updated(**change(entry))), existing is None

    def list(self, limit: int | None = None, offset: int = 0, search: str | None = None,
             activeMinutes: int | None = None, **match: Any) -> Deferred:
        """
        Fires with C{(entries, total)}: newest first, C{total} = all that match.
        C{search} looks in keys, labels and display names; C{match} narrows further:
        C{label} and C{spawnedBy} (equal), C{includeGlobal} and C{includeUnknown}
        (False: leave out the C{global} key, keys of no agent).
        """
        return self._run(self._list, limit, offset, _ListFilter(search, activeMinutes, **match))

    @staticmethod
    def _list(tx: _Tx, limit: int | None, offset: int, where: "_ListFilter") -> tuple[list[SessionEntry], int]:
        clause, args = where.sql(tx.nowMs)
        (total,) = tx.cursor.execute(f"SELECT count(*) FROM session_nodes {clause}", args).fetchone()
        rows = tx.cursor.execute(
            f"{agentdb.SELECT_NODES} {clause} ORDER BY updated_at DESC, session_key LIMIT ? OFFSET ?",
            (*args, -1 if limit is None else limit, offset),
        ).fetchall()
        return [agentdb.entry_of(row, tx.agentId) for row in rows], total

    def count(self) -> Deferred:
        return self._run(lambda tx: tx.count())

    # transcripts ----------------------------------------------------------------

    def append(self, key: str, message: Mapping[str, Any], runId: str | None = None) -> Deferred:
        """
        Append C{message} (C{{role, content, timestamp?, …}}) to the session's
        transcript, creating the session when it is missing; fires, once committed,
        with the L{TranscriptEntry}.
        """
        return self._run(self._append, key, message, runId).addCallback(self._appended)

    @staticmethod
    def _append(tx: _Tx, key: str, message: Mapping[str, Any], runId: str | None):
        entry, created = tx.touch(key, {})
        added = tx.append(entry, MESSAGE, message, runId)
        activity = {"leafId": added.id, "lastActivityAt": tx.nowMs}
        if message.get("role") == "user":
            activity["lastInteractionAt"] = tx.nowMs
        return tx.put(entry.updated(**activity)), created, added

    def begin(self, key: str, message: Mapping[str, Any], runId: str | None,
              stale: Callable[[SessionEntry], str | None], **fields: Any) -> Deferred:
        """
        A turn's start in one transaction (one trip to the store's thread, which all
        of an agent's sessions share): the session reset first when C{stale(entry)}
        names a reason, touched with C{fields}, the user C{message} appended. Fires
        with C{(entry, userEntry, context)}; the context ends with that message.
        C{stale} runs in the store's thread, so it must be a pure function.
        """
        return self._run(self._begin, key, message, runId, stale, fields).addCallback(self._begun)

    def _begin(self, tx: _Tx, key: str, message: Mapping[str, Any], runId: str | None,
               stale: Callable[[SessionEntry], str | None], fields: Mapping[str, Any]):
        existing = tx.get(key)
        reason = stale(existing) if existing is not None else None
        if reason is not None:
            self._reset(tx, key, reason)
        tx.touch(key, fields)
        entry, _, added = self._append(tx, key, message, runId)
        return entry, existing is None, added, self._context(tx, key)

    def _begun(self, result: tuple[SessionEntry, bool, TranscriptEntry, list[dict[str, Any]]]):
        entry, created, added, context = result
        return self._updated(entry, created), added, context

    def _appended(self, result: tuple[SessionEntry, bool, TranscriptEntry]) -> TranscriptEntry:
        entry, created, added = result
        self._updated(entry, created)
        return added

    def transcript(self, key: str, limit: int | None = None, before: int | None = None,
                   after: int | None = None) -> Deferred:
        """
        Fires with the session's transcript entries, oldest first: the newest
        C{limit} (before C{seq} C{before}), or the first C{limit} after C{seq} C{after}.
        """
        return self._run(self._transcript, key, limit, before, after)

    @staticmethod
    def _transcript(tx: _Tx, key: str, limit: int | None, before: int | None, after: int | None):
        entry = tx.get(key)
        if entry is None:
            return []
        cap = -1 if limit is None else limit
        if after is not None:
            return tx.entries(entry.sessionId, "AND seq > ?", (after,), limit=cap)
        where, args = ("AND seq < ?", (before,)) if before is not None else ("", ())
        return tx.entries(entry.sessionId, where, args, order="DESC", limit=cap)[::-1]

    def context(self, key: str) -> Deferred:
        """Fires with the messages the model sees: the active branch since the newest reset."""
        return self._run(self._context, key)

    @staticmethod
    def _context(tx: _Tx, key: str) -> list[dict[str, Any]]:
        entry = tx.get(key)
        if entry is None or entry.leafId is None:
            return []
        (since,) = tx.cursor.execute(
            "SELECT coalesce(max(seq), 0) FROM gateway_transcript WHERE session_id = ? AND kind = ?", (entry.sessionId, RESET)
        ).fetchone()
        byId = {e.id: e for e in tx.entries(entry.sessionId, "AND seq > ?", (since,))}
        branch, cursor = [], byId.get(entry.leafId)
        while cursor is not None:
            branch.append(dict(cursor.message))
            cursor = byId.get(cursor.parentId) if cursor.parentId else None
        return branch[::-1]

    def reset(self, key: str, reason: str = "reset") -> Deferred:
        """
        Start the session afresh under the same C{sessionId}: a reset marker in the
        transcript, usage and run state cleared; fires with the L{SessionEntry}.
        """
        return self._run(self._reset, key, reason).addCallback(lambda result: self._updated(*result))

    @staticmethod
    def _reset(tx: _Tx, key: str, reason: str) -> tuple[SessionEntry, bool]:
        entry, created = tx.touch(key, {})
        marker = tx.append(entry, RESET, reset_message(reason, tx.nowMs), None)
        fresh = entry.updated(
            sessionStartedAt=tx.nowMs, leafId=marker.id, lifecycleRevision=entry.lifecycleRevision + 1,
            inputTokens=0, outputTokens=0, totalTokens=0, compactionCount=0, status=None, lastRunId=None,
            abortedLastRun=False,
        )
        return tx.put(fresh), created

    # removal ----------------------------------------------------------------------

    def delete(self, key: str, deleteTranscript: bool = True) -> Deferred:
        """
        Remove the session; its transcript is archived (C{deleteTranscript}) or left
        in place. Fires with the archived files' paths (None when there was no session).
        """
        return self._run(self._delete, key, deleteTranscript).addCallback(self._removed)

    def _delete(self, tx: _Tx, key: str, deleteTranscript: bool):
        entry = tx.get(key)
        if entry is None:
            return None, tx.count(), tx.recent()
        archived = self._remove(tx, entry, deleteTranscript)
        return archived, tx.count(), tx.recent()

    def _removed(self, result: tuple[Any, int, list[SessionEntry]]) -> Any:
        outcome, self._count, self._recent = result
        return outcome

    def _remove(self, tx: _Tx, entry: SessionEntry, deleteTranscript: bool) -> list[str]:
        tx.cursor.execute("DELETE FROM session_nodes WHERE session_key = ?", (entry.key,))
        if not deleteTranscript:
            return []
        path = self._archive(entry, tx.entries(entry.sessionId), tx.nowMs)
        tx.cursor.execute("DELETE FROM gateway_transcript WHERE session_id = ?", (entry.sessionId,))
        return [path]

    def _archive(self, entry: SessionEntry, entries: list[TranscriptEntry], nowMs: int) -> str:
        """Write the transcript as JSON lines (header, then one line per entry) into the archive dir."""
        stamp = datetime.datetime.fromtimestamp(nowMs / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%f")
        path = os.path.join(self.archiveDir, f"{entry.sessionId}.jsonl.deleted.{stamp[:-3]}Z")
        os.makedirs(self.archiveDir, mode=0o700, exist_ok=True)
        lines = [{"type": "session", "id": entry.sessionId, "key": entry.key, "timestamp": entry.createdAt}]
        lines += [{"type": e.kind, "id": e.id, "parentId": e.parentId, "timestamp": e.timestamp,
                   "message": e.message, **({"runId": e.runId} if e.runId else {})} for e in entries]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"".join(orjson.dumps(line) + b"\n" for line in lines))
        return path

    def maintain(self, nowMs: int, pruneAfterMs: int, maxEntries: int) -> Deferred:
        """
        Prune sessions not updated for C{pruneAfterMs} before C{nowMs}, then the
        oldest beyond C{maxEntries}; their transcripts are archived. Fires with how
        many were removed.
        """
        return self._run(self._maintain, nowMs, pruneAfterMs, maxEntries).addCallback(self._removed)

    def _maintain(self, tx: _Tx, nowMs: int, pruneAfterMs: int, maxEntries: int):
        rows = tx.cursor.execute("SELECT session_key, updated_at FROM session_nodes").fetchall()
        doomed = prune_keys(rows, nowMs, pruneAfterMs, maxEntries)
        for key in doomed:
            entry = tx.get(key)
            if entry is not None:
                self._remove(tx, entry, deleteTranscript=True)
        return len(doomed), tx.count(), tx.recent()
