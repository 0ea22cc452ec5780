"""inspect / extra / drift / repair: what gateway status and doctor learn about services."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from openclaw import portowner
from openclaw.boots import Boot, BootHistory
from openclaw.paths import Paths, daemon_pidfile, select_profile
from openclaw.services import drift, extra, inspect, lifecycle, repair
from openclaw.services.definition import build
from openclaw.services.identity import identify
from openclaw.services.systemd import render_unit

from tests.services.conftest import SHOW_RUNNING, SHOW_STOPPED, write_config


def _install(env, systemd, runner):
    write_config(env, '{"gateway": {"mode": "local", "port": 18800}}')
    identity = identify(env, "systemd")
    lifecycle.install(identity, systemd, env)
    runner.calls.clear()
    return identity


def test_not_installed_and_not_running(env, systemd, runner):
    service = inspect(env, kind="systemd", manager=systemd)
    assert service["label"] == "systemd"
    assert service["installed"] is False and service["loaded"] is False
    assert service["loadState"] == "not installed"
    assert (service["loadedText"], service["notLoadedText"]) == ("enabled", "disabled")
    assert service["command"] is None
    assert service["runtime"]["status"] == "stopped"
    assert runner.calls == []  # nothing installed: the manager is not asked


def test_installed_and_running_per_the_manager(env, systemd, runner):
    identity = _install(env, systemd, runner)
    runner.answer("show", stdout=SHOW_RUNNING)
    service = inspect(env, kind="systemd", manager=systemd)
    assert service["installed"] and service["loaded"] and service["loadState"] == "enabled"
    assert service["command"]["sourcePath"] == identity.path
    assert service["command"]["programArguments"][1:] == ["gateway", "--port", "18800"]
    assert service["command"]["environment"]["OPENCLAW_GATEWAY_PORT"] == "18800"
    assert service["runtime"] == {
        "status": "running", "pid": 4242, "state": "active", "subState": "running", "lastExitStatus": 0, "kind": "service",
    }
    assert runner.verbs()[0].startswith("show openclaw-gateway.service")


def test_secrets_in_a_hand_edited_definition_are_masked(env, systemd, runner):
    """gateway status --json prints the command: a token put there by hand must not show."""
    identity = _install(env, systemd, runner)
    secret = "hand-edited-secret-0123456789abcdef"
    unit = Path(identity.path).read_text().replace(" --port 18800", f" --port 18800 --token {secret}")
    Path(identity.path).write_text(unit.replace("[Install]", f"Environment=OPENCLAW_GATEWAY_TOKEN={secret}\n\n[Install]"))
    runner.answer("show", stdout=SHOW_RUNNING)
    command = inspect(env, kind="systemd", manager=systemd)["command"]
    assert secret not in repr(command)
    assert command["programArguments"][1:5] == ["gateway", "--port", "18800", "--token"]
    assert command["environment"]["OPENCLAW_GATEWAY_PORT"] == "18800"


def test_other_processes_command_lines_are_masked(tmp_path):
    """A bind failure names who holds the port: never with the holder's --token."""
    secret = "other-process-secret-0123456789abcdef"
    server = (
        "import socket, sys, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen();"
        "print(s.getsockname()[1], flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", server, "gateway", "--token", secret], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        [line] = portowner.describe(port)
        assert line.startswith(f"Port {port} is held by pid {proc.pid}: ") and "--token" in line
        assert secret not in line
    finally:
        proc.kill()
        proc.wait()


def test_stopped_service_and_pending_reload(env, systemd, runner):
    _install(env, systemd, runner)
    runner.answer("show", stdout=SHOW_STOPPED.replace("NeedDaemonReload=no", "NeedDaemonReload=yes"))
    service = inspect(env, kind="systemd", manager=systemd)
    assert service["runtime"]["status"] == "stopped"
    assert service["runtime"]["lastExitStatus"] == 143
    assert service["needsDaemonReload"] is True


def test_manager_unreachable_is_unknown_with_the_reason(env, systemd, runner):
    _install(env, systemd, runner)
    runner.answer("show", code=1, stderr="Failed to connect to bus: No medium found")
    service = inspect(env, kind="systemd", manager=systemd)
    assert service["runtime"]["status"] == "unknown"
    assert "Failed to connect to bus" in service["error"]


@pytest.fixture
def lookalike():
    """A live process whose arguments read like `openclaw gateway` (a shell, renamed)."""
    proc = subprocess.Popen(["/opt/x/bin/openclaw", "-c", "sleep 60; :", "gateway"], executable="/bin/sh")
    yield proc.pid
    proc.kill()
    proc.wait()


def test_a_foreground_gateway_is_found_by_its_boot_record(env, systemd, lookalike):
    stateDir = Paths.fromEnvironment(env).stateDir
    BootHistory(stateDir).begin(Boot("b1", lookalike, 1.0, "openclaw"))
    BootHistory(stateDir).begin(Boot("b0", 2**22 + 12345, 0.5, "openclaw"))  # a dead one
    service = inspect(env, kind="systemd", manager=systemd)
    assert service["runtime"]["status"] == "running"
    assert service["runtime"]["pid"] == lookalike
    assert service["runtime"]["kind"] == "foreground"
    assert [p["pid"] for p in service["processes"]] == [lookalike]
    assert service["processes"][0]["command"] == "/opt/x/bin/openclaw -c sleep 60; : gateway"


def test_a_recorded_pid_now_running_something_else_is_not_a_gateway(env, systemd):
    BootHistory(Paths.fromEnvironment(env).stateDir).begin(Boot("b1", os.getpid(), 1.0, "openclaw"))  # pytest
    assert inspect(env, kind="systemd", manager=systemd)["runtime"]["status"] == "stopped"


def test_a_clean_boot_is_not_running(env, systemd, lookalike):
    history = BootHistory(Paths.fromEnvironment(env).stateDir)
    history.begin(Boot("b1", lookalike, 1.0, "openclaw"))
    history.end("b1", 2.0)
    assert inspect(env, kind="systemd", manager=systemd)["runtime"]["status"] == "stopped"


def test_a_twistd_daemon_is_found_by_its_pidfile(env, systemd, lookalike):
    pidfile = Path(daemon_pidfile(Paths.fromEnvironment(env).stateDir))
    pidfile.parent.mkdir(parents=True)
    pidfile.write_text(str(lookalike))
    service = inspect(env, kind="systemd", manager=systemd)
    assert service["runtime"]["kind"] == "twistd-daemon"
    assert service["processes"][0]["source"] == str(pidfile)
    pidfile.write_text("4194999")  # stale
    assert inspect(env, kind="systemd", manager=systemd)["runtime"]["status"] == "stopped"


def _unit_file(env, name: str, text: str) -> Path:
    path = Path(env["HOME"], ".config", "systemd", "user", name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_extra_lists_other_gateway_units_with_cleanup_hints(env, systemd, runner):
    _install(env, systemd, runner)
    gone = dict(env)
    select_profile(False, "gone", gone)
    identity = identify(gone, "systemd")
    _unit_file(env, identity.name, render_unit(identity, build(identity, 19000, gone)))
    _unit_file(env, "clawdbot-gateway.service", "[Service]\nExecStart=/usr/bin/node /x/clawdbot gateway\n")
    _unit_file(env, "unrelated.service", "[Service]\nExecStart=/usr/bin/true\n")
    found = {item["name"]: item for item in extra(env) if item["scope"] == "user"}
    assert set(found) == {"openclaw-gateway-gone.service", "clawdbot-gateway.service"}
    assert found["openclaw-gateway-gone.service"]["profile"] == "gone"
    assert found["openclaw-gateway-gone.service"]["stale"] is True
    assert "profile gone has no config" in found["openclaw-gateway-gone.service"]["reason"]
    assert found["openclaw-gateway-gone.service"]["hint"].startswith(
        "systemctl --user disable --now openclaw-gateway-gone.service && rm "
    )
    assert found["clawdbot-gateway.service"]["reason"].startswith("legacy install")


def test_drift_port_and_entry_point(env, systemd, runner):
    identity = _install(env, systemd, runner)
    assert drift(env, kind="systemd") == []
    write_config(env, '{"gateway": {"mode": "local", "port": 18900}}')
    text = Path(identity.path).read_text().replace(f"ExecStart={sys.prefix}", "ExecStart=/usr/bin/node /old")
    Path(identity.path).write_text(text)
    codes = {d["code"]: d for d in drift(env, kind="systemd")}
    assert set(codes) == {"port", "entry-point"}
    assert (codes["port"]["expected"], codes["port"]["found"]) == (18900, 18800)
    assert codes["entry-point"]["found"][0] == "/usr/bin/node"


def test_repair_rewrites_reloads_and_restarts_a_running_service(env, systemd, runner):
    identity = _install(env, systemd, runner)
    write_config(env, '{"gateway": {"mode": "local", "port": 18900}}')
    runner.answer("show", stdout=SHOW_RUNNING)
    actions = repair(env, kind="systemd", manager=systemd)
    assert actions == [f"rewrote {identity.path}", "restarted openclaw-gateway.service"]
    assert "--port 18900" in Path(identity.path).read_text()
    assert [v.split()[0] for v in runner.verbs()] == ["daemon-reload", "show", "restart"]
    assert drift(env, kind="systemd") == []


def test_repair_removes_the_unit_of_a_missing_profile(env, systemd, runner):
    write_config(env)
    gone = dict(env)
    select_profile(False, "gone", gone)
    identity = identify(gone, "systemd")
    path = _unit_file(env, identity.name, render_unit(identity, build(identity, 19000, gone)))
    assert [d["code"] for d in drift(env, kind="systemd")] == ["missing-profile"]
    actions = repair(env, kind="systemd", manager=systemd)
    assert actions == [f"removed {path} (profile gone is gone)"]
    assert not path.exists()
    assert runner.verbs() == ["disable --now openclaw-gateway-gone.service", "daemon-reload"]
