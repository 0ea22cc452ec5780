"""
The in-process restart under stress, on an embedded gateway: failures on the way
(fallback, giving up), a stop in the middle, --force and the port-owner scan kept
off the reactor, the crash-loop breaker across a restart, secrets that moved since
the request, saves that land while a reload runs, and the shutdown order.
"""

from __future__ import annotations

import socket

import pytest
import pytest_twisted
from twisted.application.service import Service
from twisted.internet.task import Clock, deferLater
from twisted.internet.threads import deferToThread
from twisted.logger import globalLogPublisher

from openclaw.channels.manager import ChannelManager
from tests.conftest import TOKEN, RunningGateway, local_config, make_gateway, start_gateway
from tests.gateway.test_reload import NEW_TOKEN, LogWaiter, _config, _write


@pytest.fixture
def logs(reactor):
    waiter = LogWaiter(reactor)
    globalLogPublisher.addObserver(waiter)
    yield waiter
    globalLogPublisher.removeObserver(waiter)


def _refused(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest_twisted.ensureDeferred
async def test_a_failed_restart_falls_back_whatever_the_error(reactor, environ, logs, monkeypatch):
    service = start_gateway(reactor, environ, local_config())
    port, build = service.port, service._newTree
    builds = []

    def build_once_broken(settings):
        builds.append(settings)
        if len(builds) == 1:
            raise RuntimeError("agent runtime exploded")
        return build(settings)

    monkeypatch.setattr(service, "_newTree", build_once_broken)
    restarted = logs.wait(rf"gateway restarted on ws://127\.0\.0\.1:{port}")
    service.reload.requestRestart("test")
    await restarted
    assert [line for line in logs.lines if line.startswith("config restart failed: agent runtime exploded")]
    assert service.port == port and service.running
    await RunningGateway(service, reactor).connect()
    await service.stopService()


@pytest_twisted.ensureDeferred
async def test_when_the_fallback_fails_too_the_embedded_gateway_stops(reactor, environ, logs, monkeypatch):
    service = start_gateway(reactor, environ, local_config())
    port = service.port

    def broken(settings):
        raise RuntimeError("cannot build")

    monkeypatch.setattr(service, "_newTree", broken)
    stopped = logs.wait(r"^gateway stopped$")
    service.reload.requestRestart("test")
    await stopped
    assert [line for line in logs.lines if "the previous config did not start again; stopping the gateway" in line]
    assert not service.running and not service.listener.bound and _refused(port)
    assert service.breaker.history.read()[-1].clean is False  # not a clean stop


@pytest_twisted.ensureDeferred
async def test_a_stop_during_a_restart_binds_nothing_again(reactor, environ, logs):
    service = start_gateway(reactor, environ, local_config())
    port = service.port
    await RunningGateway(service, reactor).connect()  # the restart waits for its close
    stopping = []
    restarting = logs.wait(r"^restart \(test\)$")
    restarting.addCallback(lambda _: stopping.append(service.stopService()))  # the tree is about to go down
    service.reload.requestRestart("test")
    await restarting
    await stopping[0]
    await deferLater(reactor, 0.2, lambda: None)
    assert not service.running and not service.listener.bound and _refused(port)
    assert not [line for line in logs.lines if line.startswith("gateway restarted on")]


@pytest_twisted.ensureDeferred
async def test_force_frees_the_port_only_at_start_up_and_a_restart_never_scans(reactor, environ, logs, monkeypatch, ports):
    from openclaw import portowner

    freed, scanned = [], []
    monkeypatch.setattr(portowner, "free_port", lambda port, host, log, grace: freed.append(port))
    monkeypatch.setattr(portowner, "describe", lambda port: scanned.append(port) or [])
    first = ports.reserve()
    service = start_gateway(reactor, environ, _config(first), argv=("--force",))
    assert freed == [first]
    failed = logs.wait(r"config restart failed: Gateway failed to start: another gateway instance")
    back = logs.wait(rf"gateway restarted on ws://127\.0\.0\.1:{first}")
    _write(environ, _config(ports.listen()))
    await failed
    await back
    assert freed == [first] and scanned == []  # nothing blocking ran on the reactor
    assert service.port == first
    await service.stopService()


class _Channel(Service):
    """A channel of the shape the manager and the health monitor read (no transport)."""

    channelId = "irc"
    label = "IRC"

    def health(self) -> dict:
        return {"configured": True, "running": bool(self.running)}


@pytest_twisted.ensureDeferred
async def test_a_tripped_breaker_holds_channels_back_after_a_restart(reactor, environ, monkeypatch):
    class WithAChannel(ChannelManager):
        def __init__(self, settings, *services) -> None:
            super().__init__(settings, *services)
            _Channel().setServiceParent(self)

    monkeypatch.setattr("openclaw.gateway.tree.ChannelManager", WithAChannel)
    clock = Clock()
    service = start_gateway(reactor, environ, local_config(), clock=clock)
    service.breaker.tripped = True
    before = service.channels
    service.reload.requestRestart("test")
    clock.advance(0)
    await service.reload.settled()
    assert service.channels is not before and service.channels.running
    assert [svc.running for svc in service.channels] == [False]
    added = _Channel()
    added.channelId = "telegram"
    added.setServiceParent(service.channels)  # a channel registered later waits too
    assert not added.running
    await service.stopService()


@pytest_twisted.ensureDeferred
async def test_a_restart_takes_the_secrets_as_they_resolve_when_it_runs(reactor, environ):
    environ["GW_TOKEN"] = TOKEN
    config = local_config()
    config["gateway"]["auth"]["token"] = {"source": "env", "provider": "default", "id": "GW_TOKEN"}
    clock = Clock()
    service = start_gateway(reactor, environ, config, clock=clock)
    requested = await deferToThread(service.loadSettings)
    service.reload.requestRestart("config reload: agents", requested, 5)
    service.environ["GW_TOKEN"] = NEW_TOKEN
    await service.reload.reloadSecrets()
    assert service.settings.token == NEW_TOKEN
    clock.advance(5)
    await service.reload.settled()
    assert service.settings.token == NEW_TOKEN  # the restart did not undo the secrets reload
    await RunningGateway(service, reactor).connect(token=NEW_TOKEN)
    await service.stopService()


@pytest_twisted.ensureDeferred
async def test_a_save_while_a_reload_loads_is_not_lost(reactor, environ, logs, monkeypatch, ports):
    port = ports.reserve()
    service = start_gateway(reactor, environ, _config(port), argv=())
    debug = _config(port)
    debug["logging"]["level"] = "debug"
    rotated = _config(port, NEW_TOKEN)
    rotated["logging"]["level"] = "debug"
    load = service.loadSettings

    def load_then_someone_saves():
        settings = load()
        if settings.token == TOKEN:
            _write(environ, rotated)  # saved after this load read the file
        return settings

    monkeypatch.setattr(service, "loadSettings", load_then_someone_saves)
    first = logs.wait(r"config hot reload applied \(logging\.level\)")
    second = logs.wait(r"config hot reload applied \(gateway\.auth\.token\)")
    _write(environ, debug)
    await first
    await second
    assert service.settings.token == NEW_TOKEN
    await service.stopService()


@pytest_twisted.ensureDeferred
async def test_the_port_closes_before_the_children_stop(reactor, environ):
    service = start_gateway(reactor, environ, local_config())
    pairing = service.hub.pairing
    seen = []
    stop = pairing.stopService
    pairing.stopService = lambda: (seen.append(service.listener.bound), stop())[1]
    await service.stopService()
    assert seen == [False]


def test_giving_up_in_a_process_it_owns_exits_1_after_the_shutdown(reactor, environ):
    from openclaw.gateway import process

    service = make_gateway(reactor, environ, local_config())
    calls = []

    class Reactor:
        def addSystemEventTrigger(self, *args):
            calls.append(args)

        def stop(self):
            calls.append("stop")

    process.ProcessOwner(service, Reactor())
    service._abandon()
    assert calls == [("after", "shutdown", process._exit, 1), "stop"]  # stopService runs in the shutdown
