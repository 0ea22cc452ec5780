"""
Config reload on an embedded gateway: edits on disk in every mode, the in-process
restart, restart requests, cooldown and deferral while work is in flight.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.logger import formatEvent, globalLogPublisher

from tests.conftest import TOKEN, serving, start_gateway

NEW_TOKEN = "rotated-token-9876543210fedcba9876543210"
WAIT = 10.0


class LogWaiter:
    """Fires Deferreds when a log line matching a pattern is published."""

    def __init__(self, reactor) -> None:
        self.reactor = reactor
        self.lines: list[str] = []
        self._waiters: list[tuple[re.Pattern, Deferred]] = []

    def __call__(self, event) -> None:
        line = formatEvent(event)
        self.lines.append(line)
        for waiter in list(self._waiters):
            if waiter[0].search(line):
                self._waiters.remove(waiter)
                waiter[1].callback(line)

    def wait(self, pattern: str) -> Deferred:
        regex = re.compile(pattern)
        d: Deferred = Deferred()
        self._waiters.append((regex, d))
        return d.addTimeout(WAIT, self.reactor)


@pytest.fixture
def logs(reactor):
    waiter = LogWaiter(reactor)
    globalLogPublisher.addObserver(waiter)
    yield waiter
    globalLogPublisher.removeObserver(waiter)


def _config(port: int, token: str = TOKEN, **gateway) -> dict:
    return {
        "gateway": {"mode": "local", "port": port, "auth": {"token": token}, **gateway},
        "logging": {"file": "{log}"},
    }


def _write(environ: dict, config: dict | str) -> None:
    from tests.conftest import write_config

    if isinstance(config, str):
        Path(environ["OPENCLAW_CONFIG_PATH"]).write_text(config)
    else:
        write_config(environ, config)


@pytest.fixture
def extra() -> dict:
    """More C{gateway.*} settings for the gateway under test (override per class)."""
    return {}


@pytest_twisted.async_yield_fixture
async def running(reactor, environ, request, extra, ports):
    """A gateway on a configured port (no --port, so the config's port counts)."""
    clock = getattr(request, "param", None)
    port = ports.reserve()
    service = start_gateway(reactor, environ, _config(port, **extra), argv=(), clock=clock)
    async with serving(service, reactor) as gw:
        yield gw


async def _restarted(client, logs, port: int):
    listening = logs.wait(rf"listening on ws://127\.0\.0\.1:{port} ")
    code, _ = await client.closed.addTimeout(WAIT, client._reactor)
    assert code == 1012
    shutdown = [e for e in client.events if e["event"] == "shutdown"]
    assert [e["payload"] for e in shutdown] == [{"reason": "gateway restarting", "restartExpectedMs": 1500}]
    await listening
    assert not [line for line in logs.lines if "restart failed" in line]


@pytest_twisted.ensureDeferred
async def test_hot_token_rotation_keeps_open_sessions(running, environ, logs):
    before = await running.connect()
    applied = logs.wait(r"config hot reload applied \(gateway\.auth\.token\)")
    _write(environ, _config(running.service.port, NEW_TOKEN))
    await applied
    after = await running.connect(token=NEW_TOKEN)
    refused = await running.rejected(token=TOKEN)
    assert refused.code == "INVALID_REQUEST"
    assert (await before.call("health"))["ok"] is True and not before.closed.called
    assert (await after.call("health"))["ok"] is True
    assert NEW_TOKEN not in "\n".join(logs.lines)


@pytest_twisted.ensureDeferred
async def test_a_broken_save_keeps_serving_and_the_next_valid_save_applies(running, environ, logs):
    client = await running.connect()
    skipped = logs.wait(r"config reload skipped \(invalid config\): .*invalid JSON5")
    _write(environ, '{ "gateway": { "mode": "local", ')
    await skipped
    assert (await client.call("health"))["ok"] is True
    await running.connect()  # the last good token still admits
    applied = logs.wait(r"config hot reload applied \(logging\.level\)")
    config = _config(running.service.port)
    config["logging"]["level"] = "debug"
    _write(environ, config)
    await applied
    assert running.service.logSink.settings.level == "debug"


@pytest_twisted.ensureDeferred
async def test_security_rules_and_unresolvable_secrets_refuse_a_reload(running, environ, logs):
    client = await running.connect()
    refused = logs.wait(r"config reload skipped \(invalid config\): Refusing to bind gateway to lan without auth")
    _write(environ, _config(running.service.port, bind="lan", auth={"mode": "none"}))
    await refused
    unresolved = logs.wait(r"config reload skipped \(invalid config\): Startup failed: required secrets are unavailable\.")
    _write(environ, _config(running.service.port, auth={"token": {"source": "file", "provider": "nope", "id": "/x"}}))
    await unresolved
    assert running.service.settings.token == TOKEN and running.service.settings.bindMode == "loopback"
    assert (await client.call("health"))["ok"] is True


@pytest_twisted.ensureDeferred
async def test_a_port_change_restarts_onto_the_new_port(running, environ, logs, ports):
    client = await running.connect()
    newPort = ports.reserve()
    needs = logs.wait(r"config change requires gateway restart \(gateway\.port\)")
    _write(environ, _config(newPort))
    await needs
    await _restarted(client, logs, newPort)
    assert running.service.port == newPort
    again = await running.connect()
    assert (await again.call("health"))["ok"] is True


@pytest_twisted.ensureDeferred
async def test_restart_request_rpc_restarts_on_the_same_port(running, logs):
    client = await running.connect(scopes=["operator.admin"])
    port = running.service.port
    hub = running.service.hub
    assert await client.call("gateway.restart.request", {"reason": "test"}) == {"ok": True}
    await _restarted(client, logs, port)
    assert running.service.hub is not hub and running.service.port == port
    await running.connect()


@pytest_twisted.ensureDeferred
async def test_restart_request_needs_admin(running):
    client = await running.connect(scopes=["operator.write"])
    from openclaw.cli.client import GatewayCallError

    with pytest.raises(GatewayCallError) as caught:
        await client.call("gateway.restart.request")
    assert caught.value.message == "missing scope: operator.admin"


class TestModeOff:
    @pytest.fixture
    def extra(self) -> dict:
        return {"reload": {"mode": "off"}}

    @pytest_twisted.ensureDeferred
    async def test_nothing_is_watched(self, running):
        client = await running.connect()
        health = await client.call("health", {"probe": True})
        assert health["configReload"] == {"hotReloadStatus": "disabled"}
        assert not running.service.reload.watching


class TestModeHot:
    @pytest.fixture
    def extra(self) -> dict:
        return {"reload": {"mode": "hot"}}

    @pytest_twisted.ensureDeferred
    async def test_a_restart_is_only_reported_and_hot_parts_apply(self, running, environ, logs, ports):
        client = await running.connect()
        port = running.service.port
        warned = logs.wait(r"config change requires gateway restart \(gateway\.port\); reload mode is hot")
        _write(environ, _config(ports.reserve(), NEW_TOKEN, reload={"mode": "hot"}))
        await warned
        await running.service.reload.settled()
        assert running.service.port == port and running.service.settings.port == port
        assert running.service.settings.token == NEW_TOKEN
        await running.connect(token=NEW_TOKEN)
        assert not client.closed.called


class TestModeRestart:
    @pytest.fixture
    def extra(self) -> dict:
        return {"reload": {"mode": "restart"}}

    @pytest_twisted.ensureDeferred
    async def test_any_change_restarts(self, running, environ, logs):
        client = await running.connect()
        port = running.service.port
        config = _config(port, reload={"mode": "restart"})
        config["logging"]["level"] = "debug"
        _write(environ, config)
        await _restarted(client, logs, port)


# cooldown and deferral, on a clock ---------------------------------------------


@pytest.mark.parametrize("running", [Clock()], indirect=True)
@pytest_twisted.ensureDeferred
async def test_restarts_keep_a_cooldown_between_cycles(running):
    service, clock = running.service, running.service._clock
    first = service.hub
    service.reload.requestRestart("one")
    clock.advance(0)
    await service.reload.settled()
    second = service.hub
    assert second is not first
    service.reload.requestRestart("two")
    service.reload.requestRestart("three")  # coalesces with two
    clock.advance(29)
    await service.reload.settled()
    assert service.hub is second
    clock.advance(1)
    await service.reload.settled()
    assert service.hub is not second
    third = service.hub
    clock.advance(60)
    await service.reload.settled()
    assert service.hub is third


@pytest.mark.parametrize("running", [Clock()], indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_restart_waits_for_tracked_work(running, logs):
    service, clock = running.service, running.service._clock
    before = service.hub
    run: Deferred = Deferred()
    service.reload.track(run)
    deferring = logs.wait(r"deferring until 1 active run\(s\) complete")
    service.reload.requestRestart("config reload: gateway.port")
    clock.advance(0)
    await deferring
    assert service.hub is before and service.reload.activeWork == 1
    run.callback(None)
    await service.reload.settled()
    assert service.hub is not before and service.reload.activeWork == 0


@pytest.mark.parametrize("running", [Clock()], indirect=True)
@pytest_twisted.ensureDeferred
async def test_the_deferral_ends_at_its_timeout(running):
    service, clock = running.service, running.service._clock
    before = service.hub
    run: Deferred = Deferred()  # never finishes
    service.reload.track(run)
    service.reload.requestRestart("SIGUSR1")
    clock.advance(0)
    clock.advance(299)
    await service.reload.settled()
    assert service.hub is before
    clock.advance(1)
    await service.reload.settled()
    assert service.hub is not before
    assert not run.called  # the run itself is not cancelled
    run.callback(None)  # (else the shutdown drain would wait for it)


@pytest_twisted.ensureDeferred
async def test_edits_to_an_included_file_are_picked_up(running, environ, logs):
    config_dir = Path(environ["OPENCLAW_CONFIG_PATH"]).parent
    (config_dir / "auth.json5").write_text(json.dumps({"token": TOKEN}))
    config = _config(running.service.port)
    config["gateway"]["auth"] = {"$include": "./auth.json5"}
    applied = logs.wait(r"config change applied \(dynamic reads: \$schema\)")  # the token is the same
    config["$schema"] = "x"
    _write(environ, config)
    await applied
    await running.service.reload.settled()
    assert str(config_dir / "auth.json5") in running.service.reload.watcher.paths
    rotated = logs.wait(r"config hot reload applied \(gateway\.auth\.token\)")
    (config_dir / "auth.json5").write_text(json.dumps({"token": NEW_TOKEN}))
    await rotated
    await running.connect(token=NEW_TOKEN)


@pytest_twisted.ensureDeferred
async def test_a_vanished_config_file_is_reported_and_changes_nothing(running, environ, logs):
    client = await running.connect()
    missing = logs.wait(r"config reload skipped \(config file not found\)")
    Path(environ["OPENCLAW_CONFIG_PATH"]).unlink()
    await missing
    assert (await client.call("health"))["ok"] is True and running.service.settings.token == TOKEN


@pytest_twisted.ensureDeferred
async def test_restart_signals_during_shutdown_are_ignored(running, logs):
    import signal

    hub = running.service.hub
    running.service.reload.stop()
    ignored = logs.wait(r"received SIGUSR1 during shutdown; ignoring")
    running.service.reload.signalled(signal.SIGUSR1)
    await ignored
    running.service.reload.requestRestart("late")
    await running.service.reload.settled()
    assert running.service.hub is hub


@pytest_twisted.ensureDeferred
async def test_rate_limit_settings_apply_hot_and_keep_the_recorded_failures(running, environ, logs):
    limiter = running.service.hub.limiter
    await running.rejected(token="wrong-token-for-the-record-0123456789")
    buckets = dict(limiter._buckets)
    assert buckets
    applied = logs.wait(r"config hot reload applied \(gateway\.auth\.rateLimit\)")
    _write(environ, _config(running.service.port, auth={"token": TOKEN, "rateLimit": {"maxAttempts": 2}}))
    await applied
    assert running.service.hub.limiter is limiter and limiter.policy.maxAttempts == 2
    assert limiter._buckets.keys() == buckets.keys()


@pytest.mark.parametrize("running", [Clock()], indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_restart_inside_the_cooldown_says_it_is_deferred_and_why(running, logs):
    service, clock = running.service, running.service._clock
    service.reload.requestRestart("one")
    clock.advance(0)
    await service.reload.settled()
    clock.advance(10)
    deferred = logs.wait(
        r"restart deferred 20\.0s \(two\): the previous restart was 10\.0s ago and restarts keep 30s apart"
    )
    service.reload.requestRestart("two")
    await deferred
    restarted = logs.wait(r"restart \(two\)")
    clock.advance(20)
    await restarted
    await service.reload.settled()


@pytest_twisted.ensureDeferred
async def test_the_generated_and_saved_token_is_not_a_change(reactor, environ, logs, ports):
    port = ports.reserve()
    config = _config(port)
    del config["gateway"]["auth"]
    service = start_gateway(reactor, environ, config, argv=())
    async with serving(service, reactor) as gw:
        path = Path(environ["OPENCLAW_CONFIG_PATH"])
        saved = json.loads(path.read_text())
        assert saved["gateway"]["auth"]["token"] == service.settings.token
        client = await gw.connect(token=service.settings.token)
        applied = logs.wait(r"config hot reload applied \(logging\.level\)$")
        saved["logging"]["level"] = "debug"
        path.write_text(json.dumps(saved))
        await applied
        await service.reload.settled()
        assert not client.closed.called
        assert not [line for line in logs.lines if "requires gateway restart" in line]
        assert (await client.call("health"))["ok"] is True


@pytest_twisted.ensureDeferred
async def test_agent_and_channel_edits_apply_hot_in_the_services_that_own_them(running, environ, logs):
    client = await running.connect()
    hub = running.service.hub
    config = _config(running.service.port)
    config["agents"] = {"list": [{"id": "main"}, {"id": "ops", "name": "Ops", "default": True}]}
    config["channels"] = {"irc": {"host": "irc.example.test"}}
    applied = logs.wait(r"config hot reload applied \(agents, channels\)$")
    _write(environ, config)
    await applied
    await running.service.reload.settled()
    assert running.service.hub is hub and not client.closed.called
    assert running.service.tree.agents.defaultAgentId == "ops"
    assert [(a.channelId, a.accountId) for a in running.service.channels.settings.accounts] == [("irc", "default")]
    status = await client.call("status", {"includeCliProjection": True})
    assert status["cliProjection"]["agents"] == {"defaultId": "ops", "rows": [{"id": "main"}, {"id": "ops"}]}


@pytest.mark.parametrize("running", [Clock()], indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_consumer_that_cannot_apply_its_section_hot_restarts_the_tree(running, logs, monkeypatch):
    service, clock = running.service, running.service._clock
    before = service.hub
    monkeypatch.setattr(service.tree.agents, "applySettings", lambda settings, sections: "agents" not in sections)
    new = service.settings
    changed = {**new.config, "agents": {"list": [{"id": "ops"}]}}
    needs = logs.wait(r"config change requires gateway restart \(agents\)")
    service.reload.apply(replace(new, config=changed))
    await needs
    clock.advance(0)
    await service.reload.settled()
    assert service.hub is not before


def test_every_hot_section_of_the_diff_rules_has_a_consumer(reactor, environ):
    from openclaw.config.outcome import LIVE_SECTIONS
    from tests.conftest import local_config, make_gateway

    # what openclaw config set promises (LIVE_SECTIONS) is what the tree applies
    service = make_gateway(reactor, environ, local_config())
    claimed = service.sections | service.tree.sections
    assert LIVE_SECTIONS <= claimed, LIVE_SECTIONS - claimed
