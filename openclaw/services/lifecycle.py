"""
C{openclaw gateway install|uninstall|start|stop|restart}, as blocking functions over
a L{ServiceManager} (the CLI runs them in a thread).

Each returns an L{Outcome}; failures raise L{ServiceError} with the message and hints
the CLI prints. Without an installed service, C{stop} and C{restart} signal a gateway
of this state dir running in the foreground or as a C{twistd} daemon: SIGTERM stops
it, SIGUSR1 restarts it in-process (same pid). Restart is never stop + start.
"""

from __future__ import annotations

import getpass
import os
import pwd
import signal
from dataclasses import dataclass, field
from typing import Any, Mapping

from openclaw.services.definitions import read_bytes, write_definition
from openclaw.services.identity import SYSTEMD, ServiceIdentity
from openclaw.services.manager import ManagerError, ServiceManager
from openclaw.services.render import expected, render
from openclaw.services.runtime import GatewayProcess, running_gateways

RESTART_SIGNAL = signal.SIGUSR1
STOP_SIGNAL = signal.SIGTERM


class ServiceError(Exception):
    def __init__(self, message: str, hints: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hints = hints or []


@dataclass
class Outcome:
    action: str
    #: What happened, e.g. C{installed}, C{already-running}, C{signalled}, C{not-running}.
    result: str
    message: str
    identity: ServiceIdentity
    hints: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: The process signalled, when there was no service to ask.
    process: GatewayProcess | None = None
    signal: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def asJson(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": True,
            "action": self.action,
            "result": self.result,
            "message": self.message,
            "service": {
                "label": self.identity.label,
                "name": self.identity.name,
                "path": self.identity.path,
                "system": self.identity.system,
            },
            "hints": self.hints,
            "warnings": self.warnings,
            **self.extra,
        }
        if self.process is not None:
            out["process"] = {**self.process.asJson(), "signal": self.signal}
        return out


def installed(identity: ServiceIdentity) -> bool:
    return os.path.exists(identity.path)


def _manager_failed(identity: ServiceIdentity, error: ManagerError, what: str) -> ServiceError:
    hints = []
    if identity.kind == SYSTEMD and not identity.system:
        hints = [
            "Is a systemd user session running? On a headless host: sudo loginctl enable-linger "
            f"{getpass.getuser()} and XDG_RUNTIME_DIR=/run/user/{os.getuid()}.",
        ]
    return ServiceError(f"{what}: {error}", hints)


def system_user(environ: Mapping[str, str]) -> str:
    """The non-root account a system unit runs as: the sudo caller, else the current user."""
    user = environ.get("SUDO_USER") or getpass.getuser()
    if user == "root":
        raise ServiceError(
            "A system unit must run as a non-root user: run the install with sudo from that account.",
        )
    return user


def system_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """
    The environment a system unit's paths (home, state dir, config, port) come from:
    C{HOME} is the home of the account it runs as (under sudo it is usually root's).
    """
    user = system_user(environ)
    try:
        home = pwd.getpwnam(user).pw_dir
    except KeyError:
        raise ServiceError(f"A system unit must run as an existing user: no account {user!r}.") from None
    return {**environ, "HOME": home}


def _write(identity: ServiceIdentity, content: bytes) -> None:
    try:
        write_definition(identity.path, content)
    except PermissionError:
        hints = ["Run it with sudo, or copy contrib/systemd/openclaw-gateway.system.service there by hand "
                 "(adjusted), then: sudo systemctl daemon-reload && sudo systemctl enable --now "
                 f"{identity.name}"] if identity.system else []
        raise ServiceError(f"Cannot write {identity.path}: permission denied.", hints)


def install(
    identity: ServiceIdentity,
    manager: ServiceManager,
    environ: Mapping[str, str],
    port: int | None = None,
    force: bool = False,
) -> Outcome:
    definition, warnings = expected(identity, environ, port)
    user = system_user(environ) if identity.system else None
    content = render(identity, definition, user)
    existing = read_bytes(identity.path)
    hints = []
    if existing is not None and existing != content and not force:
        result = "already-installed"
        message = f"Gateway service already installed: {identity.path}"
        warnings.append(
            f"{identity.path} differs from what install would write now; "
            "rewrite it with: openclaw gateway install --force (or openclaw doctor --fix)"
        )
    else:
        result = "installed" if existing != content else "unchanged"
        if existing != content:
            _write(identity, content)
        message = f"Installed {identity.label} service {identity.name}: {identity.path}"
    try:
        manager.activate(identity)
    except ManagerError as e:
        raise _manager_failed(identity, e, f"Wrote {identity.path}, but could not enable and start it")
    if identity.kind == SYSTEMD and not identity.system:
        hints.append(f"To keep it running after logout: sudo loginctl enable-linger {getpass.getuser()}")
    return Outcome("install", result, message, identity, hints, warnings, extra={"port": definition.port()})


def uninstall(identity: ServiceIdentity, manager: ServiceManager) -> Outcome:
    if not installed(identity):
        return Outcome("uninstall", "not-installed", f"Gateway service not installed ({identity.path}).", identity)
    manager.deactivate(identity)
    os.unlink(identity.path)
    warnings = []
    try:
        manager.reload(identity)
    except ManagerError as e:
        warnings.append(str(e))
    return Outcome(
        "uninstall", "uninstalled", f"Removed {identity.label} service {identity.name}; config and state are kept.",
        identity, warnings=warnings,
    )


def _not_installed(identity: ServiceIdentity) -> ServiceError:
    return ServiceError(
        f"Gateway service not installed ({identity.path}).",
        ["Install it with: openclaw gateway install"],
    )


def start(identity: ServiceIdentity, manager: ServiceManager) -> Outcome:
    if not installed(identity):
        raise _not_installed(identity)
    state = manager.state(identity)
    if state.status == "running":
        return Outcome("start", "already-running", f"Gateway service already running (pid {state.pid}).", identity)
    try:
        manager.start(identity)
    except ManagerError as e:
        raise _manager_failed(identity, e, "Could not start the gateway service")
    return Outcome("start", "started", f"Started {identity.label} service {identity.name}.", identity)


def _signal(process: GatewayProcess, signum: signal.Signals) -> None:
    try:
        os.kill(process.pid, signum)
    except ProcessLookupError:
        raise ServiceError(f"Gateway pid {process.pid} exited before it could be signalled.")
    except PermissionError:
        raise ServiceError(f"Not allowed to signal gateway pid {process.pid} ({process.command}).")


def stop(identity: ServiceIdentity, manager: ServiceManager, disable: bool = False) -> Outcome:
    """The service if installed, else a running gateway of this state dir; nothing to stop is fine."""
    if installed(identity):
        try:
            manager.stop(identity, disable)
        except ManagerError as e:
            raise _manager_failed(identity, e, "Could not stop the gateway service")
        suffix = " and disabled" if disable else ""
        return Outcome("stop", "stopped", f"Stopped{suffix} {identity.label} service {identity.name}.", identity)
    processes = running_gateways(identity.paths)
    if not processes:
        return Outcome("stop", "not-running", "Gateway is not running; nothing to stop.", identity)
    target = processes[0]
    _signal(target, STOP_SIGNAL)
    return Outcome(
        "stop", "signalled", f"Sent SIGTERM to the gateway ({target.kind}, pid {target.pid}).",
        identity, process=target, signal=STOP_SIGNAL.name,
    )


def restart(identity: ServiceIdentity, manager: ServiceManager) -> Outcome:
    """Through the manager, else SIGUSR1 to a running gateway (in-process restart)."""
    if installed(identity):
        try:
            manager.restart(identity)
        except ManagerError as e:
            raise _manager_failed(identity, e, "Could not restart the gateway service")
        return Outcome("restart", "restarted", f"Restarted {identity.label} service {identity.name}.", identity)
    processes = running_gateways(identity.paths)
    if not processes:
        raise ServiceError(
            "Gateway is not running and no service is installed; nothing to restart.",
            ["Start it with: openclaw gateway install, or in the foreground: openclaw gateway"],
        )
    target = processes[0]
    _signal(target, RESTART_SIGNAL)
    return Outcome(
        "restart", "signalled",
        f"Sent SIGUSR1 to the gateway ({target.kind}, pid {target.pid}): it restarts in-process.",
        identity, process=target, signal=RESTART_SIGNAL.name,
    )
