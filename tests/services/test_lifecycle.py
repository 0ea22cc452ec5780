"""
install / uninstall / start / stop / restart against the manager adapter. systemd
and launchd are not running on CI machines, so the adapter's runner records the
systemctl/launchctl calls and the tests assert them.
"""

from __future__ import annotations

import os
import plistlib
import pwd
from pathlib import Path

import pytest

from openclaw.paths import select_profile
from openclaw.services import lifecycle
from openclaw.services.definition import entry_point
from openclaw.services.identity import identify
from openclaw.services.lifecycle import ServiceError

from tests.services.conftest import SHOW_RUNNING, SHOW_STOPPED, write_config


def test_install_writes_the_unit_then_reloads_and_enables_it(env, runner, systemd):
    write_config(env, '{"gateway": {"mode": "local", "port": 18800}}')
    identity = identify(env, "systemd")
    outcome = lifecycle.install(identity, systemd, env)
    assert runner.verbs() == ["daemon-reload", "enable --now openclaw-gateway.service"]
    assert all(call[:2] == ["systemctl", "--user"] for call in runner.calls)
    unit = Path(identity.path).read_text()
    assert f"ExecStart={entry_point(env)} gateway --port 18800\n" in unit
    assert outcome.result == "installed" and outcome.warnings == []
    assert outcome.asJson()["port"] == 18800
    assert any("enable-linger" in hint for hint in outcome.hints)


def test_install_port_flag_wins_and_a_missing_config_is_warned_about(env, systemd):
    identity = identify(env, "systemd")
    outcome = lifecycle.install(identity, systemd, env, port=19555)
    assert "--port 19555" in Path(identity.path).read_text()
    assert [w for w in outcome.warnings if w.startswith("No config at")]


def test_install_keeps_a_different_unit_without_force(env, runner, systemd):
    write_config(env)
    identity = identify(env, "systemd")
    Path(identity.path).parent.mkdir(parents=True)
    Path(identity.path).write_text("[Service]\nExecStart=/usr/bin/node /old/openclaw gateway\n")
    outcome = lifecycle.install(identity, systemd, env)
    assert outcome.result == "already-installed"
    assert "node" in Path(identity.path).read_text()
    assert any("--force" in w for w in outcome.warnings)
    assert runner.verbs() == ["daemon-reload", "enable --now openclaw-gateway.service"]  # still idempotently up

    forced = lifecycle.install(identity, systemd, env, force=True)
    assert forced.result == "installed"
    assert "node" not in Path(identity.path).read_text()
    assert lifecycle.install(identity, systemd, env).result == "unchanged"


def test_install_reports_a_manager_failure_with_hints(env, runner, systemd):
    write_config(env)
    runner.answer("daemon-reload", code=1, stderr="Failed to connect to bus: No medium found")
    identity = identify(env, "systemd")
    with pytest.raises(ServiceError) as caught:
        lifecycle.install(identity, systemd, env)
    assert "Failed to connect to bus" in caught.value.message
    assert identity.path in caught.value.message  # the unit was written; say where
    assert any("XDG_RUNTIME_DIR" in h for h in caught.value.hints)


def test_system_install_uses_plain_systemctl_and_a_user(env, runner, systemd, tmp_path):
    write_config(env)
    env["SUDO_USER"] = "alice"
    identity = identify(env, "systemd", system=True, systemDir=str(tmp_path / "etc"))
    lifecycle.install(identity, systemd, env)
    assert runner.calls == [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "openclaw-gateway.service"]]
    assert "User=alice\n" in Path(identity.path).read_text()


def test_a_system_unit_takes_its_paths_from_its_users_home(env, systemd, tmp_path):
    """Under sudo HOME is root's: the unit's home, state dir and config are the SUDO_USER's."""
    user = next(u for u in pwd.getpwall() if u.pw_uid != 0)
    env.update(SUDO_USER=user.pw_name, HOME="/root")
    identity = identify(lifecycle.system_environ(env), "systemd", system=True, systemDir=str(tmp_path / "etc"))
    assert identity.paths.home == user.pw_dir
    assert identity.paths.stateDir == os.path.join(user.pw_dir, ".openclaw")
    lifecycle.install(identity, systemd, lifecycle.system_environ(env))
    unit = Path(identity.path).read_text()
    assert f"User={user.pw_name}\n" in unit and f"Environment=HOME={user.pw_dir}\n" in unit
    env["SUDO_USER"] = "no-such-user-x"
    with pytest.raises(ServiceError, match="no account 'no-such-user-x'"):
        lifecycle.system_environ(env)


def test_system_install_refuses_root(env, systemd, tmp_path):
    env["SUDO_USER"] = "root"
    identity = identify(env, "systemd", system=True, systemDir=str(tmp_path / "etc"))
    with pytest.raises(ServiceError, match="non-root"):
        lifecycle.install(identity, systemd, env)
    assert not os.path.exists(identity.path)


def test_launchd_install_bootstraps_the_plist(env, runner, launchd):
    write_config(env)
    select_profile(False, "work", env)
    write_config(env)
    runner.answer("print", code=113, stderr="Could not find service")
    identity = identify(env, "launchd")
    lifecycle.install(identity, launchd, env)
    assert runner.calls == [
        ["launchctl", "print", "gui/501/ai.openclaw.work"],
        ["launchctl", "enable", "gui/501/ai.openclaw.work"],
        ["launchctl", "bootstrap", "gui/501", identity.path],
    ]
    assert plistlib.loads(Path(identity.path).read_bytes())["Label"] == "ai.openclaw.work"


def test_launchd_reinstall_boots_out_the_loaded_job_first(env, runner, launchd):
    write_config(env)
    runner.answer("print", stdout="state = running\npid = 77\n")
    identity = identify(env, "launchd")
    lifecycle.install(identity, launchd, env)
    assert runner.verbs()[1:] == [
        "bootout gui/501/ai.openclaw.gateway", "enable gui/501/ai.openclaw.gateway", f"bootstrap gui/501 {identity.path}",
    ]


def test_uninstall_disables_removes_and_reloads(env, runner, systemd):
    write_config(env)
    identity = identify(env, "systemd")
    lifecycle.install(identity, systemd, env)
    runner.calls.clear()
    outcome = lifecycle.uninstall(identity, systemd)
    assert runner.verbs() == ["disable --now openclaw-gateway.service", "daemon-reload"]
    assert not os.path.exists(identity.path)
    assert Path(env["HOME"], ".openclaw", "openclaw.json").exists()  # config and state stay
    assert outcome.result == "uninstalled"
    assert lifecycle.uninstall(identity, systemd).result == "not-installed"


def _installed(env, systemd, runner):
    write_config(env)
    identity = identify(env, "systemd")
    lifecycle.install(identity, systemd, env)
    runner.calls.clear()
    return identity


def test_start_is_idempotent(env, runner, systemd):
    identity = _installed(env, systemd, runner)
    runner.answer("show", stdout=SHOW_RUNNING)
    assert lifecycle.start(identity, systemd).result == "already-running"
    assert [v.split()[0] for v in runner.verbs()] == ["show"]
    runner.answer("show", stdout=SHOW_STOPPED)
    assert lifecycle.start(identity, systemd).result == "started"
    assert runner.verbs()[-1] == "start openclaw-gateway.service"


def test_start_without_a_service_points_at_install(env, runner, systemd):
    with pytest.raises(ServiceError) as caught:
        lifecycle.start(identify(env, "systemd"), systemd)
    assert "not installed" in caught.value.message
    assert caught.value.hints == ["Install it with: openclaw gateway install"]
    assert runner.calls == []


def test_stop_and_stop_disable(env, runner, systemd):
    identity = _installed(env, systemd, runner)
    lifecycle.stop(identity, systemd)
    lifecycle.stop(identity, systemd, disable=True)
    assert runner.verbs() == [
        "stop openclaw-gateway.service",
        "stop openclaw-gateway.service", "disable openclaw-gateway.service",
    ]


def test_stopping_an_absent_service_is_success(env, runner, systemd):
    outcome = lifecycle.stop(identify(env, "systemd"), systemd)
    assert outcome.result == "not-running"
    assert runner.calls == []


def test_launchd_stop_boots_out_and_disable_persists(env, runner, launchd):
    write_config(env)
    identity = identify(env, "launchd")
    lifecycle.install(identity, launchd, env)
    runner.calls.clear()
    runner.answer("print", stdout="state = running\n")
    lifecycle.stop(identity, launchd, disable=True)
    assert runner.verbs() == [
        "print gui/501/ai.openclaw.gateway", "bootout gui/501/ai.openclaw.gateway", "disable gui/501/ai.openclaw.gateway",
    ]


def test_restart_goes_through_the_manager_never_stop_and_start(env, runner, systemd, launchd):
    identity = _installed(env, systemd, runner)
    lifecycle.restart(identity, systemd)
    assert runner.verbs() == ["restart openclaw-gateway.service"]
    runner.calls.clear()
    plist = identify(env, "launchd")
    Path(plist.path).parent.mkdir(parents=True)
    Path(plist.path).write_bytes(b"")
    lifecycle.restart(plist, launchd)
    assert runner.verbs() == ["kickstart -k gui/501/ai.openclaw.gateway"]


def test_restart_with_nothing_running_fails_with_a_hint(env, runner, systemd):
    with pytest.raises(ServiceError) as caught:
        lifecycle.restart(identify(env, "systemd"), systemd)
    assert "nothing to restart" in caught.value.message
    assert runner.calls == []

