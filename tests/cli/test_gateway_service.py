"""
`openclaw gateway install|uninstall|start|stop|restart` as real processes.

systemd is not running on CI machines (nor in these containers), so the CLI finds a
recording `systemctl` first on PATH: it logs each call's arguments and answers
`show` from a file. The CLI, its manager adapter and the subprocess calls are real.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest_twisted

from openclaw.services.definition import entry_point

FAKE_SYSTEMCTL = f"""#!{sys.executable}
import json, os, sys
with open(os.environ["SYSTEMCTL_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
fail = os.environ.get("SYSTEMCTL_FAIL", "")
if fail and fail in sys.argv:
    sys.stderr.write("Failed to connect to bus: No medium found\\n")
    sys.exit(1)
if "show" in sys.argv:
    path = os.environ.get("SYSTEMCTL_SHOW", "")
    sys.stdout.write(open(path).read() if path and os.path.exists(path) else "")
"""

RUNNING = "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nExecMainStatus=0\nUnitFileState=enabled\n"


class Systemctl:
    def __init__(self, root: Path) -> None:
        self.bin = root / "fakebin"
        self.bin.mkdir()
        program = self.bin / "systemctl"
        program.write_text(FAKE_SYSTEMCTL)
        program.chmod(0o755)
        self.log = root / "systemctl.log"
        self.show = root / "systemctl.show"

    def env(self, base: dict[str, str], fail: str = "") -> dict[str, str]:
        return {
            **base,
            "PATH": f"{self.bin}:{base['PATH']}",
            "SYSTEMCTL_LOG": str(self.log),
            "SYSTEMCTL_SHOW": str(self.show),
            "SYSTEMCTL_FAIL": fail,
        }

    def calls(self) -> list[str]:
        if not self.log.exists():
            return []
        calls = [" ".join(json.loads(line)) for line in self.log.read_text().splitlines()]
        self.log.unlink()
        return calls


def _unit(cli, name: str = "openclaw-gateway.service") -> Path:
    return cli.install.home / ".config" / "systemd" / "user" / name


@pytest_twisted.ensureDeferred
async def test_install_writes_the_unit_and_enables_it(cli):
    ctl = Systemctl(cli.install.root)
    result = await cli.run("gateway", "install", "--json", env=ctl.env(cli.install.env))
    assert result.code == 0, result.stderr
    outcome = result.json()
    unit = _unit(cli)
    assert (outcome["ok"], outcome["action"], outcome["result"]) == (True, "install", "installed")
    assert outcome["service"] == {"label": "systemd", "name": "openclaw-gateway.service", "path": str(unit), "system": False}
    assert outcome["port"] == cli.port
    assert ctl.calls() == ["--user daemon-reload", "--user enable --now openclaw-gateway.service"]
    text = unit.read_text()
    assert f"ExecStart={entry_point(os.environ)} gateway --port {cli.port}\n" in text
    assert f"Environment=OPENCLAW_STATE_DIR={cli.install.stateDir}\n" in text
    assert "TOKEN" not in text and "test-token" not in text


@pytest_twisted.ensureDeferred
async def test_profile_and_port_flag_human_output(cli):
    ctl = Systemctl(cli.install.root)
    env = {k: v for k, v in ctl.env(cli.install.env).items() if k not in ("OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH")}
    result = await cli.run("--profile", "rescue", "gateway", "install", "--port", "19100", env=env)
    assert result.code == 0, result.stderr
    unit = _unit(cli, "openclaw-gateway-rescue.service")
    assert result.lines[0] == f"Installed systemd service openclaw-gateway-rescue.service: {unit}"
    assert "sudo loginctl enable-linger" in result.stdout
    assert result.stderr.startswith("Warning: No config at ")  # the rescue profile has none yet
    assert "--port 19100" in unit.read_text()
    assert ctl.calls()[-1] == "--user enable --now openclaw-gateway-rescue.service"


@pytest_twisted.ensureDeferred
async def test_install_when_the_manager_fails(cli):
    ctl = Systemctl(cli.install.root)
    human = await cli.run("gateway", "install", env=ctl.env(cli.install.env, fail="daemon-reload"))
    assert human.code == 1
    assert human.stderr.startswith(f"Wrote {_unit(cli)}, but could not enable and start it: systemctl --user daemon-reload failed: Failed to connect to bus")
    as_json = await cli.run("gateway", "install", "--json", env=ctl.env(cli.install.env, fail="daemon-reload"))
    assert as_json.code == 1
    error = as_json.json()["error"]
    assert error["type"] == "cli_error" and "Failed to connect to bus" in error["message"]


@pytest_twisted.ensureDeferred
async def test_start_stop_restart_uninstall_go_through_systemctl(cli):
    ctl = Systemctl(cli.install.root)
    env = ctl.env(cli.install.env)
    assert (await cli.run("gateway", "install", env=env)).code == 0
    ctl.calls()

    start = await cli.run("gateway", "start", env=env)
    assert (start.code, start.stdout) == (0, "Started systemd service openclaw-gateway.service.\n")
    assert ctl.calls() == ["--user show openclaw-gateway.service --no-pager --property=LoadState,ActiveState,SubState,MainPID,ExecMainStatus,UnitFileState,NeedDaemonReload", "--user start openclaw-gateway.service"]

    ctl.show.write_text(RUNNING)
    again = await cli.run("gateway", "start", "--json", env=env)
    assert again.json()["result"] == "already-running"
    assert [c.split()[1] for c in ctl.calls()] == ["show"]

    restart = await cli.run("gateway", "restart", env=env)
    assert restart.code == 0
    assert ctl.calls() == ["--user restart openclaw-gateway.service"]  # never stop + start

    stop = await cli.run("gateway", "stop", "--disable", env=env)
    assert (stop.code, stop.stdout) == (0, "Stopped and disabled systemd service openclaw-gateway.service.\n")
    assert ctl.calls() == ["--user stop openclaw-gateway.service", "--user disable openclaw-gateway.service"]

    gone = await cli.run("gateway", "uninstall", env=env)
    assert gone.code == 0
    assert ctl.calls() == ["--user disable --now openclaw-gateway.service", "--user daemon-reload"]
    assert not _unit(cli).exists()
    assert cli.install.configPath.exists()


@pytest_twisted.ensureDeferred
async def test_start_without_a_service_and_stop_without_anything(cli):
    ctl = Systemctl(cli.install.root)
    env = ctl.env(cli.install.env)
    start = await cli.run("gateway", "start", env=env)
    assert start.code == 1
    assert start.stderr == f"Gateway service not installed ({_unit(cli)}).\nInstall it with: openclaw gateway install\n"
    stop = await cli.run("gateway", "stop", env=env)
    assert (stop.code, stop.stdout) == (0, "Gateway is not running; nothing to stop.\n")
    assert ctl.calls() == []


@pytest_twisted.ensureDeferred
async def test_bad_port_flag(cli):
    result = await cli.run("gateway", "install", "--port", "70000", "--json")
    assert result.code == 1
    assert result.json()["error"]["message"].startswith("Invalid --port: 70000")
