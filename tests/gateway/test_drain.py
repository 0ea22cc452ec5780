"""
The shutdown budget on a hand-driven Clock with real sockets: in-flight work gets
to finish before the shutdown event and the 1012 close; at the deadline it is
cancelled; the clean stop is recorded for the crash-loop breaker.
"""

from __future__ import annotations

import pytest_twisted
from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.task import Clock

from openclaw.boots import BootHistory
from openclaw.gateway.drain import DRAIN_BUDGET_MS, LAUNCHD_DRAIN_BUDGET_MS, drain_budget_ms
from tests.conftest import TOKEN, local_config, start_gateway


async def _started(reactor, environ, clock):
    service = start_gateway(reactor, environ, local_config(), clock=clock)
    from openclaw.cli.client import connect

    client = await connect(reactor, f"ws://127.0.0.1:{service.port}", token=TOKEN)
    return service, client


async def _spin(reactor, times: int = 5):
    from twisted.internet.task import deferLater

    for _ in range(times):
        await deferLater(reactor, 0, lambda: None)


@pytest_twisted.ensureDeferred
async def test_stop_waits_for_in_flight_work_then_says_goodbye(reactor, environ):
    clock = Clock()
    service, client = await _started(reactor, environ, clock)
    run: Deferred = Deferred()
    service.reload.track(run)
    stopped = service.stopService()
    done = []
    stopped.addCallback(lambda result: done.append(True) or result)
    await client.call("health")  # the connection still serves while the run drains
    clock.advance(100)
    await _spin(reactor)
    assert not done
    assert not [e for e in client.events if e["event"] == "shutdown"]
    run.callback("done")
    await stopped
    assert (await client.closed)[0] == 1012
    assert [e["payload"] for e in client.events if e["event"] == "shutdown"] == [{"reason": "gateway stopping"}]
    assert BootHistory(service.settings.paths.stateDir).read()[-1].clean


@pytest_twisted.ensureDeferred
async def test_work_still_running_at_the_deadline_is_cancelled(reactor, environ):
    clock = Clock()
    service, client = await _started(reactor, environ, clock)
    cancelled = []
    run: Deferred = Deferred(lambda d: cancelled.append(True))
    service.reload.track(run).addErrback(lambda f: f.trap(CancelledError))
    stopped = service.stopService()
    done = []
    stopped.addCallback(lambda result: done.append(True) or result)
    clock.advance(DRAIN_BUDGET_MS / 1000 - 0.1)
    await _spin(reactor)
    assert not done and not cancelled
    clock.advance(0.1)
    assert cancelled == [True]
    await stopped
    assert (await client.closed)[0] == 1012


def test_budget_is_shorter_under_launchd():
    assert drain_budget_ms({}) == 315_000
    assert drain_budget_ms({"OPENCLAW_LAUNCHD_LABEL": "ai.openclaw.gateway"}) == LAUNCHD_DRAIN_BUDGET_MS == 5_000
