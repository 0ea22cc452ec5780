"""
Stopping and restarting gateways that run outside a service manager, for real:
`openclaw gateway stop|restart` find a foreground `openclaw gateway` through its boot
record and a `twistd openclaw-gateway` daemon through its pidfile in the state dir,
and signal it (SIGTERM stops, SIGUSR1 restarts in-process under the same pid).
"""

from __future__ import annotations

import json
import os
import signal

import pytest_twisted
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.task import deferLater

from openclaw import procs
from tests.e2e.conftest import LISTENING


def _boots(gw) -> list[dict]:
    return json.loads((gw.stateDir / "gateway" / "boots.json").read_text())["boots"]


async def _cli(launcher, gw, *args: str):
    child = launcher.openclaw(gw, "gateway", *args, name=f"gateway {args[0]}")
    code = await child.exited()
    return child, code


@pytest_twisted.ensureDeferred
async def test_stop_signals_a_foreground_gateway(launcher):
    gw = launcher.install()
    gw.local()
    gateway = launcher.openclaw(gw, "gateway", "--port", "0", name="gateway")
    port = await launcher.listening(gateway)
    client = await launcher.connect(port)

    cli, code = await _cli(launcher, gw, "stop")
    assert code == 0, cli.describe()
    assert cli.stdout == f"Stopped the gateway (foreground, pid {gateway.pid}).\n"
    assert await gateway.exited() == 0, gateway.describe()
    assert (await client.closed)[0] == 1012
    assert _boots(gw)[-1]["pid"] == gateway.pid and _boots(gw)[-1]["clean"] is True

    again, code = await _cli(launcher, gw, "stop", "--json")
    assert code == 0
    assert json.loads(again.stdout)["result"] == "not-running"


@pytest_twisted.ensureDeferred
async def test_restart_signals_a_foreground_gateway_which_restarts_in_process(launcher):
    gw = launcher.install()
    gw.local()
    gateway = launcher.openclaw(gw, "gateway", "--port", "0", name="gateway")
    port = await launcher.listening(gateway)
    client = await launcher.connect(port)
    mark = gateway.mark()

    cli, code = await _cli(launcher, gw, "restart", "--json")
    assert code == 0, cli.describe()
    outcome = json.loads(cli.stdout)
    assert (outcome["result"], outcome["process"]["pid"], outcome["process"]["signal"]) == ("signalled", gateway.pid, "SIGUSR1")

    assert (await client.closed)[0] == 1012
    shutdown = [e["payload"] for e in client.events if e["event"] == "shutdown"]
    assert shutdown == [{"reason": "gateway restarting", "restartExpectedMs": 1500}]
    again = await gateway.line(LISTENING, "stdout", since=mark)
    assert (int(again.group(1)), int(again.group(2))) == (port, gateway.pid)  # same port, same process
    assert (await (await launcher.connect(port)).call("health"))["ok"] is True
    assert not gateway.ended
    assert await launcher.stop(gateway) == 0


@pytest_twisted.ensureDeferred
async def test_restart_with_nothing_to_restart_fails(launcher):
    gw = launcher.install()
    gw.local()
    cli, code = await _cli(launcher, gw, "restart")
    assert code == 1
    assert cli.stderr.startswith("Gateway is not running and no service is installed; nothing to restart.\n")


async def _daemon(launcher, gw, port: int):
    """Start `twistd openclaw-gateway` without -n; the parent exits once the daemon listens."""
    parent = launcher.twistd(gw, "openclaw-gateway", "--port", str(port), name="twistd")
    assert await parent.exited() == 0, parent.describe()
    pidfile = gw.stateDir / "gateway.pid"
    return int(pidfile.read_text())


async def _connect_when_back(launcher, port: int):
    """
    After an in-process restart the daemon's port is closed until the new tree binds,
    and nothing announces that (a daemon's stdout is /dev/null): retry refused
    connects, at most 100 times 50 ms apart.
    """
    from twisted.internet import reactor

    for _ in range(100):
        try:
            return await launcher.connect(port)
        except ConnectionRefusedError:
            await deferLater(reactor, 0.05, lambda: None)
    raise AssertionError(f"nothing listens on {port} after the restart")


@pytest_twisted.ensureDeferred
async def test_twistd_daemon_files_live_in_the_state_dir_and_stop_and_restart_find_it(launcher, ports):
    gw = launcher.install()
    gw.local()
    port = ports.reserve()
    pid = await _daemon(launcher, gw, port)
    try:
        assert procs.alive(pid) and pid != os.getpid()
        assert not (gw.root / "twistd.pid").exists() and not (gw.root / "twistd.log").exists()
        daemonLog = gw.stateDir / "logs" / "gateway-daemon.log"
        assert f"listening on ws://127.0.0.1:{port} (PID {pid})" in daemonLog.read_text()
        assert _boots(gw)[-1]["pid"] == pid and _boots(gw)[-1]["entry"] == "twistd"
        client = await launcher.connect(port)

        cli, code = await _cli(launcher, gw, "restart")
        assert code == 0, cli.describe()
        assert cli.stdout.startswith(f"Sent SIGUSR1 to the gateway (twistd-daemon, pid {pid})")
        assert (await client.closed)[0] == 1012
        again = await _connect_when_back(launcher, port)
        assert (await again.call("health"))["ok"] is True
        assert int((gw.stateDir / "gateway.pid").read_text()) == pid

        cli, code = await _cli(launcher, gw, "stop", "--json")
        assert code == 0, cli.describe()
        outcome = json.loads(cli.stdout)
        assert (outcome["result"], outcome["process"]["kind"], outcome["process"]["pid"]) == ("stopped", "twistd-daemon", pid)
        assert (await again.closed)[0] == 1012
        assert not procs.alive(pid)
        assert not (gw.stateDir / "gateway.pid").exists()  # twistd removed it on the way out
        assert _boots(gw)[-1]["clean"] is True
        assert "received SIGTERM; shutting down" in daemonLog.read_text()
    finally:
        if procs.alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest_twisted.ensureDeferred
async def test_a_second_daemon_for_the_same_state_dir_is_refused_by_its_pidfile(launcher, ports):
    gw = launcher.install()
    gw.local()
    pid = await _daemon(launcher, gw, ports.reserve())
    try:
        second = launcher.twistd(gw, "openclaw-gateway", "--port", str(ports.reserve()), name="second")
        assert await second.exited() == 1
        assert f"Another twistd server is running, PID {pid}" in second.stderr + second.stdout
    finally:
        os.kill(pid, signal.SIGTERM)


@pytest_twisted.ensureDeferred
async def test_exit_codes_under_twistd_match_the_unit(launcher):
    """78 for a config that must not start (RestartPreventExitStatus=78), 1 for a busy port."""
    gw = launcher.install()
    gw.write_config({"gateway": {"mode": "remote"}})
    for args in (["-n", "--pidfile="], []):
        refused = launcher.twistd(gw, *args, "openclaw-gateway", "--port", "0", name="refused")
        assert await refused.exited() == 78, refused.describe()
        assert "Gateway start blocked: set gateway.mode=local (current: remote)" in refused.stderr
    gw.local()
    holder = launcher.openclaw(gw, "gateway", "--port", "0", name="holder")
    port = await launcher.listening(holder)
    for args in (["-n", "--pidfile="], []):
        busy = launcher.twistd(gw, *args, "openclaw-gateway", "--port", str(port), name="busy")
        assert await busy.exited() == 1, busy.describe()
    assert await launcher.stop(holder) == 0
