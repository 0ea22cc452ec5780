"""logs.tail over a real socket: the gateway's own file log, cursors, params, scope, errors."""

from __future__ import annotations

import json

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError


def _flush(gateway) -> None:
    assert gateway.service.logSink.flush(10)


@pytest_twisted.ensureDeferred
async def test_tail_returns_the_gateways_own_log_lines(gateway, home):
    client = await gateway.connect()
    _flush(gateway)
    result = await client.call("logs.tail", {"limit": 50})
    assert result["file"] == str(home / "gateway.log")
    assert result["cursor"] == result["size"] > 0
    assert result["reset"] is False
    records = [json.loads(line) for line in result["lines"]]
    listening = [r for r in records if r["message"].startswith("listening on ws://127.0.0.1:")]
    assert listening, records
    record = listening[0]
    # The keys both CLIs read: local time, level name, subsystem bindings, message.
    assert record["_meta"]["logLevelName"] == "INFO"
    assert json.loads(record["_meta"]["name"]) == {"subsystem": "gateway"}
    assert record["time"][:4].isdigit() and record["time"][-6] in "+-"


@pytest_twisted.ensureDeferred
async def test_cursor_follows_new_lines_only(gateway):
    client = await gateway.connect()
    _flush(gateway)
    first = await client.call("logs.tail", {"limit": 5, "maxBytes": 250000})
    assert len(first["lines"]) <= 5
    again = await client.call("logs.tail", {"cursor": first["cursor"]})
    _flush(gateway)
    # Nothing but what the gateway logged since (its WS log of our first call, if any).
    assert all("listening on" not in line for line in again["lines"])
    beyond = await client.call("logs.tail", {"cursor": first["size"] + 10_000_000})
    assert beyond["reset"] is True and beyond["lines"]


@pytest_twisted.ensureDeferred
async def test_params_are_validated(gateway):
    client = await gateway.connect()
    with pytest.raises(GatewayCallError) as caught:
        await client.call("logs.tail", {"limit": "x"})
    assert (caught.value.code, caught.value.message) == (
        "INVALID_REQUEST", "invalid logs.tail params: at /limit: must be integer"
    )
    with pytest.raises(GatewayCallError) as caught:
        await client.call("logs.tail", {"limit": 5001})
    assert caught.value.code == "INVALID_REQUEST"


@pytest_twisted.ensureDeferred
async def test_needs_read_scope(gateway):
    client = await gateway.connect(scopes=())
    with pytest.raises(GatewayCallError) as caught:
        await client.call("logs.tail")
    assert caught.value.message == "missing scope: operator.read"


@pytest_twisted.ensureDeferred
async def test_unreadable_log_is_unavailable(gateway, home):
    client = await gateway.connect()
    _flush(gateway)
    log = home / "gateway.log"
    log.unlink()
    log.mkdir()  # something that exists but cannot be read as a file
    with pytest.raises(GatewayCallError) as caught:
        await client.call("logs.tail")
    assert caught.value.code == "UNAVAILABLE"
    assert caught.value.message.startswith("log read failed: ")
    assert str(log) in caught.value.message


@pytest_twisted.ensureDeferred
async def test_missing_log_is_an_empty_tail(gateway, home):
    client = await gateway.connect()
    _flush(gateway)
    (home / "gateway.log").unlink()
    result = await client.call("logs.tail", {"cursor": 100})
    assert result == {
        "file": str(home / "gateway.log"), "cursor": 0, "size": 0, "lines": [], "truncated": False, "reset": True,
    }
