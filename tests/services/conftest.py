"""
Fixtures for the service tests. systemd and launchd are not running on CI machines
(nor in these containers), so the manager adapter gets a recording runner: every
systemctl/launchctl call is recorded and answered from a script, and the tests
assert the calls.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import pytest

from openclaw.services.manager import CommandResult, ServiceManager


class RecordingRunner:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self._answers: list[tuple[tuple[str, ...], CommandResult]] = []

    def answer(self, *words: str, code: int = 0, stdout: str = "", stderr: str = "") -> None:
        """Calls containing all of C{words} (in order) get this answer (the latest wins)."""
        self._answers.insert(0, (words, CommandResult(words, code, stdout, stderr)))

    def __call__(self, argv: Sequence[str]) -> CommandResult:
        argv = list(argv)
        self.calls.append(argv)
        for words, result in self._answers:
            if _contains(argv, words):
                return CommandResult(tuple(argv), result.code, result.stdout, result.stderr)
        return CommandResult(tuple(argv), 0)

    def verbs(self) -> list[str]:
        """The calls without the program and C{--user}: C{["daemon-reload", "enable --now x"]}."""
        return [" ".join(a for a in call[1:] if a != "--user") for call in self.calls]


def _contains(argv: list[str], words: tuple[str, ...]) -> bool:
    it = iter(argv)
    return all(any(w == a for a in it) for w in words)


SHOW_RUNNING = "LoadState=loaded\nActiveState=active\nSubState=running\nMainPID=4242\nExecMainStatus=0\nUnitFileState=enabled\nNeedDaemonReload=no\n"
SHOW_STOPPED = "LoadState=loaded\nActiveState=inactive\nSubState=dead\nMainPID=0\nExecMainStatus=143\nUnitFileState=enabled\nNeedDaemonReload=no\n"


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def systemd(runner) -> ServiceManager:
    return ServiceManager("systemd", runner, uid=1000)


@pytest.fixture
def launchd(runner) -> ServiceManager:
    return ServiceManager("launchd", runner, uid=501)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A default-profile install in an empty home (no OPENCLAW_STATE_DIR set)."""
    home = tmp_path / "home"
    home.mkdir()
    return {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def write_config(env: dict[str, str], config: str = '{"gateway": {"mode": "local"}}') -> Path:
    from openclaw.paths import Paths

    path = Path(Paths.fromEnvironment(env).configPath)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config)
    return path
