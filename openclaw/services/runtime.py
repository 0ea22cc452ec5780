"""
Gateways running outside a service manager, for the profile's state dir: a
C{twistd openclaw-gateway} daemon (its pidfile) and foreground gateways (C{openclaw
gateway}, C{twistd -n}) through their boot records.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from openclaw import procs
from openclaw.boots import BootHistory
from openclaw.paths import Paths, daemon_pidfile
from openclaw.services.definition import is_gateway_command

TWISTD_DAEMON = "twistd-daemon"
FOREGROUND = "foreground"


@dataclass(frozen=True)
class GatewayProcess:
    pid: int
    #: L{TWISTD_DAEMON} or L{FOREGROUND}.
    kind: str
    #: The file that named it: the pidfile or the boot records.
    source: str
    command: str

    def asJson(self) -> dict:
        return asdict(self)


def read_pidfile(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def is_gateway_process(pid: int) -> bool:
    """
    Alive and, where its arguments can be read, running one of our gateway commands:
    a recorded pid that the OS has since given to another program is not signalled.
    """
    if not procs.alive(pid):
        return False
    args = procs.arguments(pid)
    if args is None:
        return True
    if args and os.path.basename(args[0]).startswith("python"):
        args = args[1:]  # a console script run by its interpreter
    return is_gateway_command(args)


def running_gateways(paths: Paths) -> list[GatewayProcess]:
    """Live gateway processes of this state dir, the daemon first, then newest boot first."""
    found: list[GatewayProcess] = []
    pidfile = daemon_pidfile(paths.stateDir)
    pid = read_pidfile(pidfile)
    if pid is not None and is_gateway_process(pid):
        found.append(GatewayProcess(pid, TWISTD_DAEMON, pidfile, procs.command_line(pid)))
    history = BootHistory(paths.stateDir)
    for boot in history.running():
        if all(p.pid != boot.pid for p in found) and is_gateway_process(boot.pid):
            found.append(GatewayProcess(boot.pid, FOREGROUND, history.path, procs.command_line(boot.pid)))
    return found
