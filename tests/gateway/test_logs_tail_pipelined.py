"""
A client that pipelines many C{logs.tail} reads of a big log and goes away: its
reads wait in its own share of the thread pool, everyone else is served meanwhile,
and the reads still queued when it closed never run.
"""

from __future__ import annotations

import json
import threading

import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.gateway import calls
from openclaw.gateway.methods import logs
from openclaw.protocol import frames

PIPELINED = 150


def _big_log(path, megabytes: int = 4) -> None:
    line = json.dumps({"time": "2026-01-01T00:00:00.000+00:00", "message": "x" * 400}) + "\n"
    with open(path, "a", encoding="utf-8") as f:
        f.write(line * (megabytes * 1024 * 1024 // len(line)))


@pytest_twisted.ensureDeferred
async def test_a_closed_connections_queued_reads_never_run(reactor, gateway, home, monkeypatch):
    _big_log(home / "gateway.log")
    real = logs.read_tail
    release = threading.Event()
    started: list[int] = []
    finished: list[int] = []
    blocked: Deferred = Deferred()
    unblocked: Deferred = Deferred()

    def fire(d: Deferred) -> None:
        if not d.called:
            d.callback(None)

    def gated(*args, **kwargs):
        started.append(1)
        held = len(started) <= calls.THREAD_SHARE  # the first client's first reads hang
        if held:
            if len(started) == calls.THREAD_SHARE:
                reactor.callFromThread(fire, blocked)
            release.wait(60)
        try:
            return real(*args, **kwargs)
        finally:
            finished.append(1)
            if held and len(finished) >= calls.THREAD_SHARE:
                reactor.callFromThread(fire, unblocked)

    monkeypatch.setattr(logs, "read_tail", gated)
    try:
        greedy = await gateway.connect()
        server = gateway.service.hub.clients[greedy.hello["server"]["connId"]]
        for n in range(PIPELINED):
            greedy.sendFrame(frames.request(f"tail-{n}", "logs.tail", {"limit": 5000, "maxBytes": 1_000_000}))
        await blocked  # its share of the pool is busy, the rest of its reads wait
        assert server.calls.inFlight == calls.MAX_IN_FLIGHT  # the others were refused

        other = await gateway.connect()
        assert (await other.call("health"))["ok"]
        assert (await other.call("logs.tail", {"limit": 10}))["lines"]  # its own share: not behind the queue
        assert len(started) == calls.THREAD_SHARE + 1

        await greedy.close()
        await server.whenClosed()
        assert server.calls.inFlight == 0
    finally:
        release.set()
    await unblocked
    assert (await other.call("logs.tail", {"limit": 10}))["lines"]
    assert len(started) == calls.THREAD_SHARE + 2  # none of the queued reads ran
    refused = [f for f in greedy.frames if f["type"] == "res" and not f["ok"]]
    assert len(refused) == PIPELINED - calls.MAX_IN_FLIGHT
    assert {f["error"]["code"] for f in refused} == {"UNAVAILABLE"}
