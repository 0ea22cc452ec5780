"""
The device pairing store: paired devices, their role tokens, and pending requests.

One SQLite database in the state dir (C{devices/pairing.sqlite}, WAL), used through
one C{adbapi} connection on its own thread, so every transition below is one
transaction and nothing blocks the reactor. Device tokens are kept only as SHA-256
hashes: a token's value exists in memory at the moment it is minted and is handed
to the device in hello-ok (or to the caller of C{device.token.rotate}), never later.

Transitions:

    unknown ──request──▶ pending ──approve──▶ paired ──remove──▶ unknown
                            │ ──reject──▶ unknown
    unknown/paired ──admit (direct-local, shared secret)──▶ paired (approvedVia silent)
    paired ──rotate──▶ new token · ──revoke──▶ token revoked

Pending requests expire after five minutes; a device that asks again with
different roles or scopes supersedes its earlier request.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import uuid
from dataclasses import dataclass
from typing import AbstractSet, Any, Callable, Iterable, Mapping

import orjson
from twisted.internet.defer import Deferred, fail
from twisted.internet.interfaces import IReactorTime

from openclaw.protocol import scopes as S
from openclaw.protocol.device import normalize_metadata
from openclaw.protocol.errors import UNAVAILABLE, GatewayError
from openclaw.sqlitepool import SQLiteStore

PENDING_TTL_MS = 5 * 60_000
#: A silent pairing younger than this is never pruned as superseded.
PRUNE_GRACE_MS = 60_000
_TOKEN_BYTES = 32
_OPERATOR = "operator"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS paired_devices (
        device_id TEXT PRIMARY KEY, record TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS device_tokens (
        device_id TEXT NOT NULL, role TEXT NOT NULL, token_sha256 TEXT,
        scopes TEXT NOT NULL, created_at_ms INTEGER NOT NULL, rotated_at_ms INTEGER,
        revoked_at_ms INTEGER, last_used_at_ms INTEGER,
        PRIMARY KEY (device_id, role))""",
    """CREATE TABLE IF NOT EXISTS pending_requests (
        request_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, record TEXT NOT NULL,
        refreshed_at_ms INTEGER NOT NULL)""",
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mint_token() -> str:
    """43 characters of base64url: 32 random bytes, like the reference gateway."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def role_scopes(role: str, scopes: Iterable[str]) -> list[str]:
    """The scopes a role's token carries: operator scopes for operators, none else."""
    return sorted({s for s in scopes if s.startswith("operator.") == (role == _OPERATOR)})


def merged(*lists: Iterable[str] | None) -> list[str]:
    """Union in first-seen order."""
    return list(dict.fromkeys(item for items in lists if items for item in items))


def covers(granted: Iterable[str], requested: Iterable[str]) -> bool:
    granted = list(granted)
    return all(S.satisfies(granted, scope) for scope in requested)


@dataclass(frozen=True)
class Claim:
    """What a connecting device presents: its verified identity and what it asks for."""

    deviceId: str
    publicKey: str
    client: Mapping[str, Any]
    role: str
    scopes: tuple[str, ...]
    remoteIp: str

    def metadata(self) -> dict[str, Any]:
        meta = {
            "deviceId": self.deviceId,
            "publicKey": self.publicKey,
            "displayName": self.client.get("displayName"),
            "platform": self.client.get("platform"),
            "deviceFamily": self.client.get("deviceFamily"),
            "clientId": self.client["id"],
            "clientMode": self.client["mode"],
        }
        return {k: v for k, v in meta.items() if v}


@dataclass(frozen=True)
class Issued:
    """A connect the store let in, and the device token hello-ok hands back."""

    token: str
    issuedAtMs: int
    #: Set when this connect paired the device silently.
    requestId: str | None = None
    pruned: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pending:
    """A connect that needs an owner's approval first."""

    reason: str
    request: dict[str, Any]
    created: bool
    superseded: tuple[dict[str, str], ...] = ()
    approved: dict[str, Any] | None = None


@dataclass(frozen=True)
class Refused:
    """A device token that does not admit this connect: C{mismatch} or C{scope}."""

    reason: str


@dataclass(frozen=True)
class Forbidden:
    """A management call the caller's scopes do not allow."""

    scope: str


@dataclass
class _Tx:
    """One transaction's view of the store (runs on the database thread)."""

    cursor: Any
    nowMs: int

    # reads --------------------------------------------------------------------

    def paired(self, deviceId: str) -> dict[str, Any] | None:
        row = self.cursor.execute("SELECT record FROM paired_devices WHERE device_id = ?", (deviceId,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def tokens(self, deviceId: str) -> dict[str, dict[str, Any]]:
        rows = self.cursor.execute(
            "SELECT role, token_sha256, scopes, created_at_ms, rotated_at_ms, revoked_at_ms, last_used_at_ms "
            "FROM device_tokens WHERE device_id = ? ORDER BY role",
            (deviceId,),
        ).fetchall()
        return {
            role: {"hash": digest, "role": role, "scopes": orjson.loads(scopes), "createdAtMs": created,
                   "rotatedAtMs": rotated, "revokedAtMs": revoked, "lastUsedAtMs": used}
            for role, digest, scopes, created, rotated, revoked, used in rows
        }

    def pending(self, deviceId: str | None = None) -> list[dict[str, Any]]:
        self.cursor.execute("DELETE FROM pending_requests WHERE refreshed_at_ms < ?", (self.nowMs - PENDING_TTL_MS,))
        if deviceId is None:
            rows = self.cursor.execute("SELECT record FROM pending_requests").fetchall()
        else:
            rows = self.cursor.execute("SELECT record FROM pending_requests WHERE device_id = ?", (deviceId,)).fetchall()
        return sorted((orjson.loads(r[0]) for r in rows), key=lambda p: p["ts"], reverse=True)

    def pendingById(self, requestId: str) -> dict[str, Any] | None:
        return next((p for p in self.pending() if p["requestId"] == requestId), None)

    # writes -------------------------------------------------------------------

    def putPaired(self, record: dict[str, Any]) -> None:
        self.cursor.execute(
            "INSERT OR REPLACE INTO paired_devices (device_id, record) VALUES (?, ?)",
            (record["deviceId"], orjson.dumps(record).decode()),
        )

    def putPending(self, record: dict[str, Any]) -> None:
        self.cursor.execute(
            "INSERT OR REPLACE INTO pending_requests (request_id, device_id, record, refreshed_at_ms) VALUES (?, ?, ?, ?)",
            (record["requestId"], record["deviceId"], orjson.dumps(record).decode(), self.nowMs),
        )

    def dropPending(self, requestId: str) -> None:
        self.cursor.execute("DELETE FROM pending_requests WHERE request_id = ?", (requestId,))

    def dropDevice(self, deviceId: str) -> None:
        for table in ("paired_devices", "device_tokens", "pending_requests"):
            self.cursor.execute(f"DELETE FROM {table} WHERE device_id = ?", (deviceId,))

    def putToken(self, deviceId: str, role: str, scopes: list[str], token: str | None) -> int:
        """Create or replace a role's token (None: approved, not yet delivered)."""
        existing = self.tokens(deviceId).get(role)
        delivered = existing is not None and existing["hash"] is not None
        # a token's time is when its value first went out (issuedAtMs), then its rotations
        created = existing["createdAtMs"] if existing and (delivered or token is None) else self.nowMs
        rotated = self.nowMs if delivered and token is not None else None
        self.cursor.execute(
            "INSERT OR REPLACE INTO device_tokens (device_id, role, token_sha256, scopes, created_at_ms, "
            "rotated_at_ms, revoked_at_ms, last_used_at_ms) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
            (deviceId, role, hash_token(token) if token is not None else None, orjson.dumps(scopes).decode(),
             created, rotated, existing["lastUsedAtMs"] if existing else None),
        )
        return self.nowMs

    def issue(self, deviceId: str, role: str, scopes: list[str]) -> tuple[str, int]:
        token = mint_token()
        return token, self.putToken(deviceId, role, scopes, token)

    def seen(self, record: dict[str, Any], reason: str) -> None:
        record.update(lastSeenAtMs=self.nowMs, lastSeenReason=reason)
        self.putPaired(record)


def _approved_roles(record: dict[str, Any], tokens: Mapping[str, Mapping[str, Any]]) -> list[str]:
    roles = record.get("roles") or []
    return [r for r in roles if r not in tokens or not tokens[r]["revokedAtMs"]]


def _upgrade_reason(record: dict[str, Any] | None, tokens, claim: Claim) -> str | None:
    """Why a paired record does not already admit C{claim} (None when it does)."""
    if record is None or record["publicKey"] != claim.publicKey:
        return "not-paired"
    if claim.role not in _approved_roles(record, tokens):
        return "role-upgrade"
    if not covers(record.get("approvedScopes", record.get("scopes", [])), claim.scopes):
        return "scope-upgrade"
    for key in ("platform", "deviceFamily"):
        pinned, claimed = record.get(key), claim.client.get(key)
        if pinned and claimed and normalize_metadata(pinned) != normalize_metadata(claimed):
            return "metadata-upgrade"
    return None


def _request(tx: _Tx, claim: Claim, silent: bool) -> tuple[dict[str, Any], bool, list[dict[str, str]]]:
    """
    Create or refresh the device's pending request: the same key, role and scopes
    (or fewer) refresh the open request; anything else replaces every open request
    of the device with one that asks for all of it.
    """
    isRepair = tx.paired(claim.deviceId) is not None
    open_ = tx.pending(claim.deviceId)
    for existing in open_:
        if (existing["publicKey"] == claim.publicKey and existing.get("role") == claim.role
                and covers(existing.get("scopes", []), claim.scopes)):
            existing.update({k: v for k, v in claim.metadata().items() if k != "deviceId"})
            existing.update(remoteIp=claim.remoteIp, silent=bool(existing.get("silent") and silent),
                            isRepair=bool(existing.get("isRepair") or isRepair))
            tx.putPending(existing)
            return existing, False, []
    request = {
        "requestId": str(uuid.uuid4()),
        **claim.metadata(),
        "role": claim.role,
        "roles": merged(*(p.get("roles") for p in open_), [claim.role]),
        "scopes": merged(*(p.get("scopes") for p in open_), claim.scopes),
        "remoteIp": claim.remoteIp,
        "silent": silent,
        "isRepair": isRepair,
        "ts": tx.nowMs,
    }
    superseded = [{"requestId": p["requestId"], "deviceId": p["deviceId"]} for p in open_]
    for p in open_:
        tx.dropPending(p["requestId"])
    tx.putPending(request)
    return request, True, superseded


def _approve(tx: _Tx, request: dict[str, Any], via: str, callerScopes: Iterable[str] | None) -> dict[str, Any] | Forbidden:
    existing = tx.paired(request["deviceId"]) or {}
    roles = merged(existing.get("roles"), request.get("roles"), [request["role"]] if request.get("role") else [])
    approvedScopes = merged(existing.get("approvedScopes", existing.get("scopes")), request.get("scopes"))
    tokens = tx.tokens(request["deviceId"])
    grants = {}
    for role in merged(request.get("roles"), [request["role"]] if request.get("role") else []):
        previous = tokens.get(role)
        scopes = role_scopes(role, merged(previous["scopes"] if previous else [], request.get("scopes")))
        if callerScopes is not None and role == _OPERATOR:
            missing = next((s for s in scopes if not S.satisfies(callerScopes, s)), None)
            if missing is not None:
                return Forbidden(missing)
        grants[role] = scopes
    record = {
        **existing,
        **{k: v for k, v in request.items() if k not in ("requestId", "silent", "isRepair", "ts")},
        "roles": roles,
        "scopes": approvedScopes,
        "approvedScopes": approvedScopes,
        "approvedVia": via,
        "createdAtMs": existing.get("createdAtMs", tx.nowMs),
        "approvedAtMs": tx.nowMs,
    }
    tx.putPaired(record)
    for role, scopes in grants.items():
        tx.putToken(request["deviceId"], role, scopes, None)
    tx.dropPending(request["requestId"])
    return record


def _cluster(record: Mapping[str, Any]) -> tuple[str, str, str]:
    return tuple((record.get(k) or "").strip().lower() for k in ("clientId", "clientMode", "displayName"))  # type: ignore[return-value]


def _prune_silent_siblings(tx: _Tx, anchor: dict[str, Any], connected: AbstractSet[str]) -> list[str]:
    """
    A silently paired device retires older silent pairings of the same client
    (same client id, mode and name, approved over a minute ago, not connected):
    local clients with throw-away state dirs would otherwise pile up records.
    """
    key = _cluster(anchor)
    if not any(key):
        return []
    pruned = []
    for (raw,) in tx.cursor.execute("SELECT record FROM paired_devices").fetchall():
        other = orjson.loads(raw)
        if (other["deviceId"] != anchor["deviceId"] and other.get("approvedVia") == "silent"
                and _cluster(other) == key and tx.nowMs - other["approvedAtMs"] >= PRUNE_GRACE_MS
                and other["deviceId"] not in connected):
            pruned.append(other["deviceId"])
    for deviceId in pruned:
        tx.dropDevice(deviceId)
    return pruned


def public_device(record: Mapping[str, Any], tokens: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A paired device as methods show it: no approvedScopes, tokens without secrets."""
    shown = {k: v for k, v in record.items() if k != "approvedScopes"}
    summaries = []
    for role in sorted(tokens):
        t = tokens[role]
        summary = {"role": role, "scopes": t["scopes"], "createdAtMs": t["createdAtMs"]}
        for key in ("rotatedAtMs", "revokedAtMs", "lastUsedAtMs"):
            if t[key] is not None:
                summary[key] = t[key]
        summaries.append(summary)
    if summaries:
        shown["tokens"] = summaries
    return shown


class StoreNotRunning(GatewayError):
    """The store was used while stopped (a request that raced a shutdown or restart)."""

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE, "pairing store is not running; retry once the gateway is up", retryable=True)


class PairingStore(SQLiteStore):
    name = "pairing"
    schema = _SCHEMA

    def __init__(self, stateDir: str, clock: IReactorTime) -> None:
        self.path = os.path.join(stateDir, "devices", "pairing.sqlite")
        self._clock = clock

    def _run(self, operation: Callable[..., Any], *args: Any) -> Deferred:
        nowMs = int(self._clock.seconds() * 1000)
        if self._pool is None:
            return fail(StoreNotRunning())
        return self._pool.runInteraction(lambda cursor: operation(_Tx(cursor, nowMs), *args))

    # connects -----------------------------------------------------------------

    def admit(self, claim: Claim, silentAllowed: bool, connected: AbstractSet[str]) -> Deferred:
        """
        A device that proved the shared secret. Fires with L{Issued} (paired already,
        or paired silently now when C{silentAllowed}) or L{Pending}. C{connected}: the
        devices with live connections (a snapshot taken on the reactor thread).
        """
        return self._run(self._admit, claim, silentAllowed, frozenset(connected))

    @staticmethod
    def _admit(tx: _Tx, claim: Claim, silentAllowed: bool, connected: AbstractSet[str]) -> Issued | Pending:
        record = tx.paired(claim.deviceId)
        tokens = tx.tokens(claim.deviceId)
        reason = _upgrade_reason(record, tokens, claim)
        if reason is None:
            assert record is not None
            previous = tokens.get(claim.role)
            scopes = role_scopes(claim.role, merged(previous["scopes"], claim.scopes) if previous else record.get("approvedScopes", []))
            token, issuedAt = tx.issue(claim.deviceId, claim.role, scopes)
            tx.seen(record, "connect")
            return Issued(token, issuedAt)
        request, created, superseded = _request(tx, claim, silent=silentAllowed)
        if silentAllowed:
            record = _approve(tx, request, "silent", None)
            assert not isinstance(record, Forbidden)
            token, issuedAt = tx.issue(claim.deviceId, claim.role, tx.tokens(claim.deviceId)[claim.role]["scopes"])
            tx.seen(record, "connect")
            return Issued(token, issuedAt, request["requestId"], tuple(_prune_silent_siblings(tx, record, connected)))
        approved = None
        if record is not None and reason != "not-paired":
            approved = {"roles": _approved_roles(record, tokens), "scopes": record.get("approvedScopes", [])}
        return Pending(reason, request, created, tuple(superseded), approved)

    def admitToken(self, claim: Claim, token: str) -> Deferred:
        """A device that presents a device token: L{Issued} (the same token) or L{Refused}."""
        return self._run(self._admitToken, claim, token)

    @staticmethod
    def _admitToken(tx: _Tx, claim: Claim, token: str) -> Issued | Refused:
        record = tx.paired(claim.deviceId)
        entry = tx.tokens(claim.deviceId).get(claim.role)
        if (record is None or record["publicKey"] != claim.publicKey or entry is None or entry["revokedAtMs"]
                or entry["hash"] is None or not hmac.compare_digest(entry["hash"], hash_token(token))):
            return Refused("mismatch")
        if not covers(entry["scopes"], claim.scopes):
            return Refused("scope")
        tx.cursor.execute(
            "UPDATE device_tokens SET last_used_at_ms = ? WHERE device_id = ? AND role = ?",
            (tx.nowMs, claim.deviceId, claim.role),
        )
        tx.seen(record, "device-token-auth")
        return Issued(token, entry["rotatedAtMs"] or entry["createdAtMs"])

    def isActiveToken(self, token: str) -> Deferred:
        """Whether C{token} is a paired device's current, unrevoked token (HTTP Bearer auth)."""
        return self._run(self._isActiveToken, token)

    @staticmethod
    def _isActiveToken(tx: _Tx, token: str) -> bool:
        row = tx.cursor.execute(
            "SELECT 1 FROM device_tokens WHERE token_sha256 = ? AND revoked_at_ms IS NULL", (hash_token(token),)
        ).fetchone()
        return row is not None

    # management ---------------------------------------------------------------

    def list(self, connected: AbstractSet[str]) -> Deferred:
        """C{{pending, paired}}; C{connected} marks the devices with live connections."""
        return self._run(self._list, frozenset(connected))

    @staticmethod
    def _list(tx: _Tx, connected: AbstractSet[str]) -> dict[str, Any]:
        paired = []
        rows = tx.cursor.execute("SELECT record FROM paired_devices").fetchall()
        for record in sorted((orjson.loads(r[0]) for r in rows), key=lambda d: d["approvedAtMs"], reverse=True):
            shown = public_device(record, tx.tokens(record["deviceId"]))
            shown["connected"] = record["deviceId"] in connected
            paired.append(shown)
        return {"pending": tx.pending(), "paired": paired}

    def pendingRequest(self, requestId: str) -> Deferred:
        return self._run(lambda tx: tx.pendingById(requestId))

    def approve(self, requestId: str, callerScopes: Iterable[str]) -> Deferred:
        """Fires with the public device, L{Forbidden}, or None (no such request)."""
        return self._run(self._approveRequest, requestId, tuple(callerScopes))

    @staticmethod
    def _approveRequest(tx: _Tx, requestId: str, callerScopes) -> dict[str, Any] | Forbidden | None:
        request = tx.pendingById(requestId)
        if request is None:
            return None
        record = _approve(tx, request, "owner", callerScopes)
        if isinstance(record, Forbidden):
            return record
        return public_device(record, tx.tokens(record["deviceId"]))

    def reject(self, requestId: str) -> Deferred:
        """Fires with C{{requestId, deviceId}}, or None."""
        return self._run(self._reject, requestId)

    @staticmethod
    def _reject(tx: _Tx, requestId: str) -> dict[str, str] | None:
        request = tx.pendingById(requestId)
        if request is None:
            return None
        tx.dropPending(requestId)
        return {"requestId": requestId, "deviceId": request["deviceId"]}

    def remove(self, deviceId: str) -> Deferred:
        """Forget a paired device (and its open requests): C{{deviceId}}, or None."""
        return self._run(self._remove, deviceId.strip())

    @staticmethod
    def _remove(tx: _Tx, deviceId: str) -> dict[str, str] | None:
        if tx.paired(deviceId) is None:
            return None
        tx.dropDevice(deviceId)
        return {"deviceId": deviceId}

    def rotate(self, deviceId: str, role: str, scopes: list[str] | None, callerScopes: Iterable[str]) -> Deferred:
        """
        A fresh token for an approved role, within the device's approved scopes.
        Fires with C{(token, scopes, rotatedAtMs)}, L{Forbidden}, or None.
        """
        return self._run(self._rotate, deviceId, role, scopes, tuple(callerScopes))

    @staticmethod
    def _rotate(tx: _Tx, deviceId: str, role: str, scopes, callerScopes):
        record = tx.paired(deviceId)
        if record is None or role not in (record.get("roles") or []):
            return None
        previous = tx.tokens(deviceId).get(role)
        wanted = role_scopes(role, scopes if scopes is not None else (previous["scopes"] if previous else record.get("approvedScopes", [])))
        outside = next((s for s in wanted if not S.satisfies(record.get("approvedScopes", []), s)), None)
        if outside is None and role == _OPERATOR:
            outside = next((s for s in wanted if not S.satisfies(callerScopes, s)), None)
        if outside is not None:
            return Forbidden(outside)
        token, rotatedAt = tx.issue(deviceId, role, wanted)
        return token, wanted, rotatedAt

    def revoke(self, deviceId: str, role: str, callerScopes: Iterable[str]) -> Deferred:
        """Revoke a role's token: its C{revokedAtMs}, L{Forbidden}, or None."""
        return self._run(self._revoke, deviceId, role, tuple(callerScopes))

    @staticmethod
    def _revoke(tx: _Tx, deviceId: str, role: str, callerScopes):
        entry = tx.tokens(deviceId).get(role)
        if entry is None:
            return None
        if role == _OPERATOR:
            missing = next((s for s in entry["scopes"] if not S.satisfies(callerScopes, s)), None)
            if missing is not None:
                return Forbidden(missing)
        tx.cursor.execute(
            "UPDATE device_tokens SET revoked_at_ms = ? WHERE device_id = ? AND role = ?", (tx.nowMs, deviceId, role)
        )
        return tx.nowMs
