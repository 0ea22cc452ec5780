"""
The channels' durable state: DM pairing requests and approvals, the inbound queue
(every message committed before its transport acknowledges it, done once its
reply went out) and transport offsets (Telegram's next update id).

One SQLite file, C{<stateDir>/channels/channels.sqlite} (WAL), used through one
C{adbapi} connection on its own thread: every operation is one transaction and
nothing blocks the reactor.

Pairing codes are 8 characters of C{ABCDEFGHJKLMNPQRSTUVWXYZ23456789}, live an
hour, and an account holds at most 3 pending requests (more senders are ignored
until one is approved, dismissed or expires).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import orjson
from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IReactorTime

from openclaw.channels.base import InboundMessage
from openclaw.protocol.errors import UNAVAILABLE, GatewayError
from openclaw.sqlitepool import SQLiteStore

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
PAIRING_TTL_MS = 3_600_000
PENDING_PER_ACCOUNT = 3
#: Handled inbound rows are kept this long (and at most this many per account) for dedupe.
RETAIN_MS = 30 * 24 * 3_600_000
RETAIN_ROWS = 1000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS pairing_requests (
        channel TEXT NOT NULL, account_id TEXT NOT NULL, code TEXT NOT NULL, sender_id TEXT NOT NULL,
        sender_label TEXT NOT NULL, created_at_ms INTEGER NOT NULL, last_seen_at_ms INTEGER NOT NULL,
        PRIMARY KEY (channel, account_id, code))""",
    """CREATE TABLE IF NOT EXISTS pairing_allow (
        channel TEXT NOT NULL, account_id TEXT NOT NULL, sender_id TEXT NOT NULL, approved_at_ms INTEGER NOT NULL,
        PRIMARY KEY (channel, account_id, sender_id))""",
    """CREATE TABLE IF NOT EXISTS ingress (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, channel TEXT NOT NULL, account_id TEXT NOT NULL,
        message_id TEXT NOT NULL, record TEXT NOT NULL, done_at_ms INTEGER, created_at_ms INTEGER NOT NULL,
        UNIQUE (channel, account_id, message_id))""",
    """CREATE TABLE IF NOT EXISTS offsets (
        channel TEXT NOT NULL, account_id TEXT NOT NULL, value INTEGER NOT NULL,
        PRIMARY KEY (channel, account_id))""",
)


@dataclass(frozen=True)
class PairingRequest:
    channel: str
    accountId: str
    code: str
    senderId: str
    senderLabel: str
    createdAtMs: int
    lastSeenAtMs: int

    @property
    def expiresAtMs(self) -> int:
        return self.createdAtMs + PAIRING_TTL_MS


class ChannelStoreNotRunning(GatewayError):
    def __init__(self) -> None:
        super().__init__(UNAVAILABLE, "channel store is not running; retry once the gateway is up", retryable=True)


def new_code(taken: Iterable[str] = ()) -> str:
    taken = set(taken)
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            return code


class ChannelStore(SQLiteStore):
    name = "channel-store"
    schema = _SCHEMA
    synchronous = "FULL"  # a commit acknowledges a message: it must survive power loss

    def __init__(self, stateDir: str, clock: IReactorTime) -> None:
        self.path = os.path.join(stateDir, "channels", "channels.sqlite")
        self._clock = clock

    def _run(self, operation: Callable[..., Any], *args: Any) -> Deferred:
        nowMs = int(self._clock.seconds() * 1000)
        if self._pool is None:
            return fail(ChannelStoreNotRunning())
        return self._pool.runInteraction(operation, nowMs, *args)

    # pairing ------------------------------------------------------------------------

    def requestPairing(self, channel: str, accountId: str, senderId: str, senderLabel: str) -> Deferred:
        """Fires with C{(PairingRequest | None, created)}: None when the account's pending slots are full."""
        return self._run(_request_pairing, channel, accountId, senderId, senderLabel)

    def pairingRequests(self, channel: str | None = None, accountId: str | None = None) -> Deferred:
        return self._run(_pairing_requests, channel, accountId)

    def approvePairing(self, channel: str, accountId: str, code: str) -> Deferred:
        """Fires with the approved L{PairingRequest}, or None when no such (live) code exists."""
        return self._run(_resolve_pairing, channel, accountId, code.strip().upper(), True)

    def dismissPairing(self, channel: str, accountId: str, code: str) -> Deferred:
        return self._run(_resolve_pairing, channel, accountId, code.strip().upper(), False)

    def isPaired(self, channel: str, accountId: str, senderIds: Iterable[str]) -> Deferred:
        return self._run(_is_paired, channel, accountId, tuple(senderIds))

    # inbound queue ------------------------------------------------------------------

    def commit(self, messages: list[InboundMessage], offset: tuple[str, str, int] | None = None) -> Deferred:
        """
        Queue C{messages} and set C{offset} (C{(channel, accountId, value)}) in one transaction.
        Fires with those not seen before (a redelivered message id is dropped).
        """
        return self._run(_commit, messages, offset)

    def done(self, message: InboundMessage) -> Deferred:
        return self._run(_done, message.channel, message.accountId, message.messageId)

    def pendingInbound(self) -> Deferred:
        """Committed messages not yet handled, oldest first (replayed after a restart)."""
        return self._run(_pending)

    def offset(self, channel: str, accountId: str) -> Deferred:
        return self._run(_offset, channel, accountId)


def _request_pairing(cursor, nowMs, channel, accountId, senderId, senderLabel):
    cursor.execute("DELETE FROM pairing_requests WHERE created_at_ms <= ?", (nowMs - PAIRING_TTL_MS,))
    rows = cursor.execute(
        "SELECT code, sender_id FROM pairing_requests WHERE channel = ? AND account_id = ?", (channel, accountId)
    ).fetchall()
    for code, sender in rows:
        if sender == senderId:
            cursor.execute("UPDATE pairing_requests SET last_seen_at_ms = ? WHERE channel = ? AND account_id = ? "
                           "AND code = ?", (nowMs, channel, accountId, code))
            return _pairing_row(cursor, channel, accountId, code), False
    if len(rows) >= PENDING_PER_ACCOUNT:
        return None, False
    code = new_code(c for c, _ in rows)
    cursor.execute(
        "INSERT INTO pairing_requests VALUES (?, ?, ?, ?, ?, ?, ?)",
        (channel, accountId, code, senderId, senderLabel, nowMs, nowMs),
    )
    return _pairing_row(cursor, channel, accountId, code), True


_REQUEST_COLUMNS = "channel, account_id, code, sender_id, sender_label, created_at_ms, last_seen_at_ms"


def _pairing_row(cursor, channel, accountId, code) -> PairingRequest | None:
    row = cursor.execute(
        f"SELECT {_REQUEST_COLUMNS} FROM pairing_requests WHERE channel = ? AND account_id = ? AND code = ?",
        (channel, accountId, code),
    ).fetchone()
    return PairingRequest(*row) if row else None


def _pairing_requests(cursor, nowMs, channel, accountId):
    cursor.execute("DELETE FROM pairing_requests WHERE created_at_ms <= ?", (nowMs - PAIRING_TTL_MS,))
    rows = cursor.execute(
        f"SELECT {_REQUEST_COLUMNS} FROM pairing_requests WHERE (? IS NULL OR channel = ?) "
        "AND (? IS NULL OR account_id = ?) ORDER BY created_at_ms",
        (channel, channel, accountId, accountId),
    ).fetchall()
    return [PairingRequest(*row) for row in rows]


def _resolve_pairing(cursor, nowMs, channel, accountId, code, approve):
    cursor.execute("DELETE FROM pairing_requests WHERE created_at_ms <= ?", (nowMs - PAIRING_TTL_MS,))
    request = _pairing_row(cursor, channel, accountId, code)
    if request is None:
        return None
    cursor.execute("DELETE FROM pairing_requests WHERE channel = ? AND account_id = ? AND code = ?",
                   (channel, accountId, code))
    if approve:
        cursor.execute("INSERT OR REPLACE INTO pairing_allow VALUES (?, ?, ?, ?)",
                       (channel, accountId, request.senderId, nowMs))
    return request


def _is_paired(cursor, nowMs, channel, accountId, senderIds):
    if not senderIds:
        return False
    marks = ",".join("?" * len(senderIds))
    row = cursor.execute(
        f"SELECT 1 FROM pairing_allow WHERE channel = ? AND account_id = ? AND sender_id IN ({marks}) LIMIT 1",
        (channel, accountId, *senderIds),
    ).fetchone()
    return row is not None


def _commit(cursor, nowMs, messages, offset):
    fresh = []
    for message in messages:
        cursor.execute(
            "INSERT OR IGNORE INTO ingress (channel, account_id, message_id, record, created_at_ms) "
            "VALUES (?, ?, ?, ?, ?)",
            (message.channel, message.accountId, message.messageId, orjson.dumps(message.record()).decode(), nowMs),
        )
        if cursor.rowcount == 1:
            fresh.append(message)
    if offset is not None:
        cursor.execute("INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)", offset)
    return fresh


def _done(cursor, nowMs, channel, accountId, messageId):
    cursor.execute(
        "UPDATE ingress SET done_at_ms = ? WHERE channel = ? AND account_id = ? AND message_id = ?",
        (nowMs, channel, accountId, messageId),
    )
    cursor.execute("DELETE FROM ingress WHERE done_at_ms IS NOT NULL AND done_at_ms < ?", (nowMs - RETAIN_MS,))
    cursor.execute(
        "DELETE FROM ingress WHERE channel = ? AND account_id = ? AND done_at_ms IS NOT NULL AND seq <= "
        "(SELECT seq FROM ingress WHERE channel = ? AND account_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)",
        (channel, accountId, channel, accountId, RETAIN_ROWS),
    )


def _pending(cursor, nowMs):
    rows = cursor.execute("SELECT record FROM ingress WHERE done_at_ms IS NULL ORDER BY seq").fetchall()
    return [InboundMessage.fromRecord(orjson.loads(r[0])) for r in rows]


def _offset(cursor, nowMs, channel, accountId):
    row = cursor.execute("SELECT value FROM offsets WHERE channel = ? AND account_id = ?", (channel, accountId)).fetchone()
    return row[0] if row else None
