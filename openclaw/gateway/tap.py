"""
The twistd entry: C{twistd openclaw-gateway} owns its process, like C{openclaw gateway}.

Without C{-n}, twistd daemonizes; its pidfile and log file then default to the
profile's state dir (C{gateway.pid}, C{logs/gateway-daemon.log}) instead of the
working directory, so C{openclaw gateway status|stop|restart} find the daemon.
Explicit C{--pidfile}/C{--logfile}/C{--syslog} win.

A refused start prints its message alone and exits with its code (78 for the
configuration, 1 for a busy port). A daemon's refusal to bind goes to twistd,
which reports it to the waiting parent and removes the pidfile.
"""

from __future__ import annotations

import os
import sys

from openclaw.gateway import heap, service
from openclaw.gateway.process import ProcessOwner
from openclaw.gateway.service import GatewayService
from openclaw.settings import StartupError
from openclaw.paths import Paths, daemon_logfile, daemon_pidfile

#: twistd's own defaults, which mean "not chosen by the user".
TWISTD_PIDFILE = "twistd.pid"


class Options(service.Options):
    def postOptions(self) -> None:
        super().postOptions()
        twistd = self.twistd
        if twistd is None or twistd["nodaemon"]:
            return
        stateDir = Paths.fromEnvironment(self.environ).stateDir
        if twistd["pidfile"] == TWISTD_PIDFILE:
            os.makedirs(stateDir, mode=0o700, exist_ok=True)
            twistd["pidfile"] = daemon_pidfile(stateDir)
        if not twistd["logfile"] and not twistd["syslog"]:
            logfile = daemon_logfile(stateDir)
            os.makedirs(os.path.dirname(logfile), mode=0o700, exist_ok=True)
            twistd["logfile"] = logfile

    @property
    def twistd(self):
        """twistd's own options (parsed before ours), or None outside twistd."""
        return getattr(self, "parent", None)


class _ForegroundOwner(ProcessOwner):
    """Under C{twistd -n} a refused bind ends the process here, without twistd's traceback."""

    def __init__(self, gateway: GatewayService, reactor, pidfile: str) -> None:
        super().__init__(gateway, reactor)
        self._pidfile = pidfile

    def reportRefusal(self, error: StartupError) -> None:
        super().reportRefusal(error)
        if self._pidfile and os.path.exists(self._pidfile):
            os.remove(self._pidfile)
        raise SystemExit(error.exitCode)


def makeService(options: Options) -> GatewayService:
    from twisted.internet import reactor

    heap.keep_startup_heap()  # this process is the gateway's
    try:
        gateway = service.makeService(options, reactor)
    except StartupError as e:
        sys.stderr.write(e.message + "\n")
        raise SystemExit(e.exitCode)
    twistd = options.twistd
    if twistd is not None and twistd["nodaemon"]:
        owner: ProcessOwner = _ForegroundOwner(gateway, reactor, twistd["pidfile"])
    else:
        owner = ProcessOwner(gateway, reactor)
    owner.installSignalHandlers()
    return gateway


__all__ = ["Options", "makeService"]
