"""The adapter's own parts: the real subprocess runner, and reading the managers' answers."""

from __future__ import annotations

import sys

from openclaw.services.identity import identify
from openclaw.services.manager import run_command


def test_run_command_runs_a_real_process():
    result = run_command([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"])
    assert (result.code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert not result.ok
    assert result.describe().endswith("failed: err")


def test_a_missing_manager_program_is_exit_127():
    result = run_command(["/nonexistent/systemctl", "--user", "show"])
    assert result.code == 127
    assert "command not found" in result.stderr


def test_launchd_print_is_parsed(env, runner, launchd):
    runner.answer("print", stdout="gui/501/ai.openclaw.gateway = {\n\tstate = running\n\tpid = 812\n\tlast exit code = 0\n}\n")
    state = launchd.state(identify(env, "launchd"))
    assert (state.loaded, state.loadState, state.status, state.pid, state.lastExitStatus) == (True, "loaded", "running", 812, 0)


def test_launchd_not_loaded(env, runner, launchd):
    runner.answer("print", code=113, stderr="Could not find service")
    state = launchd.state(identify(env, "launchd"))
    assert (state.loaded, state.loadState, state.status) == (False, "not loaded", "stopped")


def test_systemd_unknown_unit(env, runner, systemd):
    runner.answer("show", stdout="LoadState=not-found\nActiveState=inactive\nSubState=dead\nMainPID=0\nUnitFileState=\n")
    state = systemd.state(identify(env, "systemd"))
    assert (state.loaded, state.loadState, state.status, state.pid) == (False, "not loaded", "stopped", None)
