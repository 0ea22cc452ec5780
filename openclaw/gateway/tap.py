"""
The twistd entry: C{twistd openclaw-gateway} owns its process, like C{openclaw gateway}.

Without C{-n}, twistd daemonizes; its pidfile and log file then default to the
profile's state dir (C{gateway.pid}, C{logs/gateway-daemon.log}) instead of the
working directory, so C{openclaw gateway status|stop|restart} find the daemon.
Explicit C{--pidfile}/C{--logfile}/C{--syslog} win.
"""

from __future__ import annotations

import os

from openclaw.gateway import service
from openclaw.gateway.service import GatewayService
from openclaw.paths import Paths, daemon_logfile, daemon_pidfile

#: twistd's own defaults, which mean "not chosen by the user".
TWISTD_PIDFILE = "twistd.pid"


class Options(service.Options):
    def postOptions(self) -> None:
        super().postOptions()
        twistd = getattr(self, "parent", None)  # twistd's ServerOptions, parsed before us
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


def makeService(options: Options) -> GatewayService:
    return service.makeService(options, ownsProcess=True)


__all__ = ["Options", "makeService"]
