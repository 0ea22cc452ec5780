"""
Config hot reload on a real `openclaw gateway` process: edits on disk (hot token
rotation, a broken save, a port change), and the SIGUSR1 restart.
"""

from __future__ import annotations

import json

import pytest
import pytest_twisted

from openclaw.cli.client import ConnectRejected
from tests.conftest import TOKEN
from tests.e2e.processes import TIMEOUT

NEW_TOKEN = "rotated-e2e-token-5f0c9a1b2d3e4f5a6b7c8d9e"


async def _closed_by_restart(client) -> None:
    code, _ = await client.closed.addTimeout(TIMEOUT, client._reactor)
    assert code == 1012
    assert [e["payload"] for e in client.events if e["event"] == "shutdown"] == [
        {"reason": "gateway restarting", "restartExpectedMs": 1500}
    ]


@pytest_twisted.ensureDeferred
async def test_edits_on_disk_rotate_the_token_survive_a_broken_save_and_move_the_port(launcher, ports):
    gw = launcher.install()
    port = ports.reserve()
    gw.local(port=port)
    child = launcher.openclaw(gw, "gateway")
    assert await launcher.listening(child) == port
    session = await launcher.connect(port)

    # hot: the token rotates, the open session stays
    gw.local(token=NEW_TOKEN, port=port)
    await child.line(r"config hot reload applied \(gateway\.auth\.token\)", "stdout")
    await launcher.connect(port, token=NEW_TOKEN)
    with pytest.raises(ConnectRejected):
        await launcher.connect(port, token=TOKEN)
    assert (await session.call("health"))["ok"] is True

    # a broken save changes nothing
    gw.write_config('{ "gateway": { "mode": "local", ')
    await child.line(r"config reload skipped \(invalid config\): .*invalid JSON5", "stdout")
    assert (await session.call("health"))["ok"] is True
    assert json.loads(json.dumps(gw.configPath.read_text())) == '{ "gateway": { "mode": "local", '

    # restart-required: the next valid save moves the gateway to another port
    newPort = ports.reserve()
    gw.local(token=NEW_TOKEN, port=newPort)
    await child.line(rf"gateway restarted on ws://127\.0\.0\.1:{newPort}", "stdout")
    await _closed_by_restart(session)
    moved = await launcher.connect(newPort, token=NEW_TOKEN)
    assert (await moved.call("health"))["ok"] is True
    assert not child.ended
    assert NEW_TOKEN not in child.stdout + child.stderr + gw.log_text()


@pytest_twisted.ensureDeferred
async def test_sigusr1_restarts_in_process_on_the_same_port(launcher, ports):
    gw = launcher.install()
    gw.local(port=ports.reserve())
    child = launcher.openclaw(gw, "gateway")
    port = await launcher.listening(child)
    session = await launcher.connect(port)
    pid = child.pid

    child.signal("USR1")
    await child.line(r"received SIGUSR1; restarting", "stdout")
    await child.line(rf"gateway restarted on ws://127\.0\.0\.1:{port}", "stdout")
    await _closed_by_restart(session)
    again = await launcher.connect(port)
    assert (await again.call("health"))["ok"] is True
    assert child.pid == pid and not child.ended
    assert await launcher.stop(child) == 0


@pytest_twisted.ensureDeferred
async def test_sigusr2_is_ignored_when_commands_restart_is_false(launcher):
    gw = launcher.install()
    gw.write_config({"gateway": {"mode": "local", "auth": {"token": TOKEN}}, "commands": {"restart": False}})
    child = launcher.openclaw(gw, "gateway", "--port", "0")
    port = await launcher.listening(child)
    session = await launcher.connect(port)
    child.signal("USR2")
    await child.line(r"SIGUSR2 restart ignored \(not authorized; commands\.restart=false\)\.", "stdout")
    assert (await session.call("health"))["ok"] is True
