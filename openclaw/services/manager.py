"""
The one adapter over the service managers: every C{systemctl} / C{launchctl} call
goes through L{ServiceManager.run}, a blocking subprocess call. Callers with a
running reactor call the adapter from a thread (C{deferToThread}); tests give it a
recording runner, since neither systemd nor launchd runs on CI machines.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from typing import Callable, Sequence

from openclaw.services.identity import SYSTEMD, ServiceIdentity

#: Longest a single manager call may take (seconds).
CALL_TIMEOUT = 60.0


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    code: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 0

    def describe(self) -> str:
        detail = (self.stderr or self.stdout).strip() or f"exit {self.code}"
        return f"{' '.join(self.argv)} failed: {detail}"


Runner = Callable[[Sequence[str]], CommandResult]


def run_command(argv: Sequence[str]) -> CommandResult:
    """Run C{argv} to completion (blocking); a missing program is exit 127."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=CALL_TIMEOUT, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        return CommandResult(tuple(argv), 127, "", f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired:
        return CommandResult(tuple(argv), 124, "", f"timed out after {CALL_TIMEOUT:.0f}s")
    return CommandResult(tuple(argv), done.returncode, done.stdout, done.stderr)


class ManagerError(Exception):
    """A service manager call failed; the message says which and why."""

    def __init__(self, result: CommandResult) -> None:
        super().__init__(result.describe())
        self.result = result


@dataclass(frozen=True)
class ServiceState:
    """What the manager says about one service."""

    #: systemd: enabled; launchd: loaded.
    loaded: bool
    #: C{enabled}, C{disabled}, C{loaded}, C{not loaded}, C{unknown}.
    loadState: str
    #: C{running}, C{stopped} or C{unknown}.
    status: str
    pid: int | None = None
    state: str | None = None
    subState: str | None = None
    lastExitStatus: int | None = None
    #: systemd has not re-read the unit file since it changed.
    needsReload: bool = False
    #: Why the manager could not be asked (then C{status} is C{unknown}).
    error: str | None = None


class ServiceManager:
    def __init__(self, kind: str, runner: Runner = run_command, uid: int | None = None) -> None:
        self.kind = kind
        self.run = runner
        self.uid = os.getuid() if uid is None else uid

    # argv ----------------------------------------------------------------------

    def _systemctl(self, identity: ServiceIdentity, *args: str) -> list[str]:
        return ["systemctl", *([] if identity.system else ["--user"]), *args]

    def _target(self, identity: ServiceIdentity) -> str:
        return f"gui/{self.uid}/{identity.name}"

    def _must(self, argv: Sequence[str]) -> CommandResult:
        result = self.run(argv)
        if not result.ok:
            raise ManagerError(result)
        return result

    # verbs ---------------------------------------------------------------------

    def activate(self, identity: ServiceIdentity) -> None:
        """After writing the definition: load it, enable it, start it."""
        if self.kind == SYSTEMD:
            self._must(self._systemctl(identity, "daemon-reload"))
            self._must(self._systemctl(identity, "enable", "--now", identity.name))
            return
        if self.state(identity).loaded:
            self._must(["launchctl", "bootout", self._target(identity)])  # reload the new plist
        self._must(["launchctl", "enable", self._target(identity)])
        self._must(["launchctl", "bootstrap", f"gui/{self.uid}", identity.path])

    def deactivate(self, identity: ServiceIdentity) -> None:
        """Before removing the definition: stop and unregister (absent is fine)."""
        if self.kind == SYSTEMD:
            self.run(self._systemctl(identity, "disable", "--now", identity.name))
        else:
            self.run(["launchctl", "bootout", self._target(identity)])

    def reload(self, identity: ServiceIdentity) -> None:
        """systemd re-reads unit files (launchd reads the plist on bootstrap)."""
        if self.kind == SYSTEMD:
            self._must(self._systemctl(identity, "daemon-reload"))

    def start(self, identity: ServiceIdentity) -> None:
        if self.kind == SYSTEMD:
            self._must(self._systemctl(identity, "start", identity.name))
        elif self.state(identity).loaded:
            self._must(["launchctl", "kickstart", self._target(identity)])
        else:
            self._must(["launchctl", "enable", self._target(identity)])
            self._must(["launchctl", "bootstrap", f"gui/{self.uid}", identity.path])

    def stop(self, identity: ServiceIdentity, disable: bool = False) -> None:
        if self.kind == SYSTEMD:
            self._must(self._systemctl(identity, "stop", identity.name))
            if disable:
                self._must(self._systemctl(identity, "disable", identity.name))
            return
        if self.state(identity).loaded:
            self._must(["launchctl", "bootout", self._target(identity)])
        if disable:
            self._must(["launchctl", "disable", self._target(identity)])

    def restart(self, identity: ServiceIdentity) -> None:
        if self.kind == SYSTEMD:
            self._must(self._systemctl(identity, "restart", identity.name))
        else:
            self._must(["launchctl", "kickstart", "-k", self._target(identity)])

    # state ---------------------------------------------------------------------

    def state(self, identity: ServiceIdentity) -> ServiceState:
        return self._systemd_state(identity) if self.kind == SYSTEMD else self._launchd_state(identity)

    def _systemd_state(self, identity: ServiceIdentity) -> ServiceState:
        result = self.run(self._systemctl(
            identity, "show", identity.name, "--no-pager",
            "--property=LoadState,ActiveState,SubState,MainPID,ExecMainStatus,UnitFileState,NeedDaemonReload",
        ))
        if not result.ok:
            return ServiceState(False, "unknown", "unknown", error=result.describe())
        props = dict(line.partition("=")[::2] for line in result.stdout.splitlines() if "=" in line)
        active = props.get("ActiveState", "")
        unitFile = props.get("UnitFileState", "") or "unknown"
        pid = int(props.get("MainPID", "0") or 0)
        exitStatus = props.get("ExecMainStatus", "")
        return ServiceState(
            loaded=unitFile == "enabled",
            loadState=unitFile if props.get("LoadState") != "not-found" else "not loaded",
            status="running" if active in ("active", "reloading") else "stopped" if active in ("inactive", "failed") else "unknown",
            pid=pid or None,
            state=active or None,
            subState=props.get("SubState") or None,
            lastExitStatus=int(exitStatus) if exitStatus.isdigit() else None,
            needsReload=props.get("NeedDaemonReload") == "yes",
        )

    def _launchd_state(self, identity: ServiceIdentity) -> ServiceState:
        result = self.run(["launchctl", "print", self._target(identity)])
        if not result.ok:
            return ServiceState(False, "not loaded", "stopped")
        text = result.stdout

        def field_(name: str) -> str | None:
            match = re.search(rf"^\s*{re.escape(name)} = (.+)$", text, re.MULTILINE)
            return match.group(1).strip() if match else None

        state = field_("state")
        pid = field_("pid")
        lastExit = field_("last exit code")
        return ServiceState(
            loaded=True,
            loadState="loaded",
            status="running" if state == "running" else "stopped",
            pid=int(pid) if pid and pid.isdigit() else None,
            state=state,
            lastExitStatus=int(lastExit) if lastExit and lastExit.lstrip("-").isdigit() else None,
        )
