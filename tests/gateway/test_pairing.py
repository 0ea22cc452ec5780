"""The pairing store: every transition, on a real SQLite file, with a fake clock."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from openclaw.gateway.pairing import PENDING_TTL_MS, Claim, Forbidden, Issued, Pending, PairingStore, Refused, StoreNotRunning
from tests.support.device_keys import DeviceKey

READ = ("operator.read",)


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.advance(1_795_485_900)
    return clock


@pytest_twisted.async_yield_fixture
async def store(tmp_path, clock):
    store = PairingStore(str(tmp_path / "state"), clock)
    store.startService()
    yield store
    await store.stopService()


def claim(key: DeviceKey, scopes=READ, role="operator", clientId="cli", mode="cli", ip="203.0.113.6", **client) -> Claim:
    return Claim(key.id, key.publicKey, {"id": clientId, "mode": mode, "platform": "linux", "deviceFamily": "Linux", **client},
                 role, tuple(scopes), ip)


nobody: frozenset[str] = frozenset()


async def pair_remote(store, key, scopes=READ, callerScopes=("operator.admin",)):
    pending = await store.admit(claim(key, scopes), False, nobody)
    return await store.approve(pending.request["requestId"], callerScopes)


@pytest_twisted.ensureDeferred
async def test_local_unknown_device_is_paired_silently_with_a_token(store, clock, tmp_path):
    key = DeviceKey()
    issued = await store.admit(claim(key, ("operator.admin", "operator.read"), ip="127.0.0.1"), True, nobody)
    assert isinstance(issued, Issued) and issued.requestId
    assert len(issued.token) == 43 and issued.issuedAtMs == int(clock.seconds() * 1000)
    listing = await store.list(nobody)
    assert listing["pending"] == []
    (device,) = listing["paired"]
    assert device["deviceId"] == key.id and device["approvedVia"] == "silent"
    assert device["scopes"] == ["operator.admin", "operator.read"] and "approvedScopes" not in device
    assert device["tokens"] == [{"role": "operator", "scopes": ["operator.admin", "operator.read"],
                                 "createdAtMs": issued.issuedAtMs}]
    assert device["connected"] is False and device["lastSeenReason"] == "connect"
    # the token is on disk only as a hash
    with open(store.path, "rb") as f:
        assert issued.token.encode() not in f.read()
    wal = store.path + "-wal"
    with open(wal, "rb") as f:
        assert issued.token.encode() not in f.read()


@pytest_twisted.ensureDeferred
async def test_remote_unknown_device_gets_a_pending_request_refreshed_on_retry(store):
    key = DeviceKey()
    first = await store.admit(claim(key), False, nobody)
    assert isinstance(first, Pending) and first.created and first.reason == "not-paired"
    request = first.request
    assert set(request) == {"requestId", "deviceId", "publicKey", "platform", "deviceFamily", "clientId",
                            "clientMode", "role", "roles", "scopes", "remoteIp", "silent", "isRepair", "ts"}
    assert (request["roles"], request["scopes"], request["remoteIp"], request["silent"]) == (
        ["operator"], ["operator.read"], "203.0.113.6", False)
    again = await store.admit(claim(key, ip="203.0.113.7"), False, nobody)
    assert not again.created and again.request["requestId"] == request["requestId"]
    assert again.request["remoteIp"] == "203.0.113.7"
    assert [p["requestId"] for p in (await store.list(nobody))["pending"]] == [request["requestId"]]


@pytest_twisted.ensureDeferred
async def test_asking_for_more_supersedes_the_open_request(store):
    key = DeviceKey()
    first = await store.admit(claim(key), False, nobody)
    wider = await store.admit(claim(key, ("operator.write",)), False, nobody)
    assert wider.created and wider.request["requestId"] != first.request["requestId"]
    assert wider.superseded == ({"requestId": first.request["requestId"], "deviceId": key.id},)
    assert wider.request["scopes"] == ["operator.read", "operator.write"]


@pytest_twisted.ensureDeferred
async def test_pending_requests_expire_after_five_minutes(store, clock):
    await store.admit(claim(DeviceKey()), False, nobody)
    clock.advance(PENDING_TTL_MS / 1000 + 1)
    assert (await store.list(nobody))["pending"] == []


@pytest_twisted.ensureDeferred
async def test_approve_pairs_the_device_and_the_next_shared_connect_gets_a_token(store, clock):
    key = DeviceKey()
    pending = await store.admit(claim(key), False, nobody)
    device = await store.approve(pending.request["requestId"], ("operator.pairing", "operator.read"))
    assert device["approvedVia"] == "owner" and device["remoteIp"] == "203.0.113.6"
    assert device["tokens"] == [{"role": "operator", "scopes": ["operator.read"], "createdAtMs": device["approvedAtMs"]}]
    assert (await store.list(nobody))["pending"] == []
    clock.advance(5)
    issued = await store.admit(claim(key), False, nobody)
    assert isinstance(issued, Issued) and issued.requestId is None
    assert isinstance(await store.admitToken(claim(key), issued.token), Issued)


@pytest_twisted.ensureDeferred
async def test_approve_needs_the_scopes_it_grants(store):
    key = DeviceKey()
    pending = await store.admit(claim(key, ("operator.admin",)), False, nobody)
    refused = await store.approve(pending.request["requestId"], ("operator.pairing",))
    assert refused == Forbidden("operator.admin")
    assert len((await store.list(nobody))["pending"]) == 1  # still waiting


@pytest_twisted.ensureDeferred
async def test_unknown_requests_and_devices(store):
    assert await store.approve("nope", ("operator.admin",)) is None
    assert await store.reject("nope") is None
    assert await store.remove("nope") is None
    assert await store.rotate("nope", "operator", None, ("operator.admin",)) is None
    assert await store.revoke("nope", "operator", ("operator.admin",)) is None


@pytest_twisted.ensureDeferred
async def test_reject_drops_the_request(store):
    key = DeviceKey()
    pending = await store.admit(claim(key), False, nobody)
    requestId = pending.request["requestId"]
    assert await store.reject(requestId) == {"requestId": requestId, "deviceId": key.id}
    assert (await store.list(nobody)) == {"pending": [], "paired": []}


@pytest_twisted.ensureDeferred
async def test_remove_forgets_device_tokens_and_requests(store):
    key = DeviceKey()
    await pair_remote(store, key)
    issued = await store.admit(claim(key), False, nobody)
    await store.admit(claim(key, ("operator.write",)), False, nobody)  # an open upgrade request
    assert await store.remove(f" {key.id} ") == {"deviceId": key.id}
    assert (await store.list(nobody)) == {"pending": [], "paired": []}
    assert await store.admitToken(claim(key), issued.token) == Refused("mismatch")


@pytest_twisted.ensureDeferred
async def test_device_token_checks(store):
    key = DeviceKey()
    issued = await store.admit(claim(key, ("operator.read", "operator.write"), ip="127.0.0.1"), True, nobody)
    ok = await store.admitToken(claim(key, ("operator.read",)), issued.token)
    assert ok == Issued(issued.token, issued.issuedAtMs)
    assert await store.admitToken(claim(key), "wrong") == Refused("mismatch")
    assert await store.admitToken(claim(key, ("operator.admin",)), issued.token) == Refused("scope")
    assert await store.admitToken(claim(key, (), role="node"), issued.token) == Refused("mismatch")
    stranger = DeviceKey()
    impostor = Claim(key.id, stranger.publicKey, {"id": "cli", "mode": "cli"}, "operator", READ, "127.0.0.1")
    assert await store.admitToken(impostor, issued.token) == Refused("mismatch")
    (device,) = (await store.list(nobody))["paired"]
    assert device["lastSeenReason"] == "device-token-auth" and "lastUsedAtMs" in device["tokens"][0]


@pytest_twisted.ensureDeferred
async def test_rotate_replaces_the_token_within_approved_scopes(store, clock):
    key = DeviceKey()
    issued = await store.admit(claim(key, ("operator.read", "operator.write"), ip="127.0.0.1"), True, nobody)
    clock.advance(1)
    token, scopes, rotatedAt = await store.rotate(key.id, "operator", ["operator.read"], ("operator.admin",))
    assert scopes == ["operator.read"] and rotatedAt == int(clock.seconds() * 1000)
    assert await store.admitToken(claim(key), issued.token) == Refused("mismatch")
    assert isinstance(await store.admitToken(claim(key), token), Issued)
    assert await store.admitToken(claim(key, ("operator.write",)), token) == Refused("scope")
    assert await store.rotate(key.id, "operator", ["operator.admin"], ("operator.admin",)) == Forbidden("operator.admin")
    assert await store.rotate(key.id, "operator", None, ("operator.pairing",)) == Forbidden("operator.read")
    assert await store.rotate(key.id, "node", None, ("operator.admin",)) is None
    (device,) = (await store.list(nobody))["paired"]
    assert device["tokens"][0]["rotatedAtMs"] == rotatedAt


@pytest_twisted.ensureDeferred
async def test_revoke_turns_the_token_away(store, clock):
    key = DeviceKey()
    issued = await store.admit(claim(key, ip="127.0.0.1"), True, nobody)
    assert await store.revoke(key.id, "operator", ("operator.pairing",)) == Forbidden("operator.read")
    revokedAt = await store.revoke(key.id, "operator", ("operator.admin",))
    assert revokedAt == int(clock.seconds() * 1000)
    assert await store.admitToken(claim(key), issued.token) == Refused("mismatch")
    (device,) = (await store.list(nobody))["paired"]
    assert device["tokens"][0]["revokedAtMs"] == revokedAt
    # a revoked role must be approved again
    again = await store.admit(claim(key), False, nobody)
    assert isinstance(again, Pending) and again.reason == "role-upgrade"


@pytest_twisted.ensureDeferred
async def test_more_scopes_than_approved_is_a_scope_upgrade(store):
    key = DeviceKey()
    await pair_remote(store, key)
    upgrade = await store.admit(claim(key, ("operator.admin",)), False, nobody)
    assert isinstance(upgrade, Pending) and upgrade.reason == "scope-upgrade"
    assert upgrade.request["isRepair"] is True
    assert upgrade.approved == {"roles": ["operator"], "scopes": ["operator.read"]}
    # locally the same upgrade is approved silently
    issued = await store.admit(claim(key, ("operator.admin",), ip="127.0.0.1"), True, nobody)
    assert isinstance(issued, Issued)
    (device,) = (await store.list(nobody))["paired"]
    assert device["scopes"] == ["operator.read", "operator.admin"]
    assert device["tokens"][0]["scopes"] == ["operator.admin", "operator.read"]


@pytest_twisted.ensureDeferred
async def test_other_role_is_a_role_upgrade_and_changed_platform_a_metadata_upgrade(store):
    key = DeviceKey()
    await pair_remote(store, key)
    role = await store.admit(claim(key, (), role="node", clientId="node-host", mode="node"), False, nobody)
    assert role.reason == "role-upgrade"
    moved = await store.admit(claim(key, platform="windows"), False, nobody)
    assert moved.reason == "metadata-upgrade"
    same = await store.admit(claim(key, platform="LINUX"), False, nobody)  # case does not matter
    assert isinstance(same, Issued)


@pytest_twisted.ensureDeferred
async def test_silent_pairing_prunes_older_silent_siblings(store, clock):
    old, connected, new = DeviceKey(), DeviceKey(), DeviceKey()
    await store.admit(claim(old, ip="127.0.0.1"), True, nobody)
    await store.admit(claim(connected, ip="127.0.0.1"), True, nobody)
    clock.advance(61)
    issued = await store.admit(claim(new, ip="127.0.0.1"), True, {connected.id})
    assert issued.pruned == (old.id,)
    assert {d["deviceId"] for d in (await store.list(nobody))["paired"]} == {connected.id, new.id}


@pytest_twisted.ensureDeferred
async def test_the_database_is_in_wal_mode(store):
    await store.list(nobody)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest_twisted.ensureDeferred
async def test_a_stopped_store_answers_unavailable_and_its_files_and_thread_stay_off_the_reactor(tmp_path, clock, monkeypatch):
    store = PairingStore(str(tmp_path / "state"), clock)
    made, joined = [], []
    realMakedirs = __import__("os").makedirs
    monkeypatch.setattr("openclaw.gateway.pairing.os.makedirs", lambda *a, **k: (made.append(threading.current_thread()), realMakedirs(*a, **k)))
    store.startService()
    assert made == []  # nothing touched the disk on the reactor
    await store.list(nobody)
    pool = store._pool
    realClose = pool.finalClose
    monkeypatch.setattr(pool, "finalClose", lambda: (joined.append(threading.current_thread()), realClose()))
    await store.stopService()
    main = threading.main_thread()
    assert made and main not in made  # (makedirs recurses for the missing parents)
    assert len(joined) == 1 and joined[0] is not main and not any(t.is_alive() for t in pool.threadpool.threads)
    with pytest.raises(StoreNotRunning) as caught:
        await store.list(nobody)
    assert caught.value.code == "UNAVAILABLE" and caught.value.retryable
