"""
Owning the process around the gateway service, for C{twistd openclaw-gateway} and
C{openclaw gateway}: SIGTERM/SIGINT stop the reactor, SIGUSR1/SIGUSR2 ask for a
restart, a refused start is shown once on stderr, and a gateway that could not
restart ends the process with exit code 1 so a supervisor starts a fresh one.
An embedding application does none of this; it owns its process itself.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from twisted.logger import Logger

from openclaw.gateway.service import GatewayService
from openclaw.settings import StartupError

_log = Logger(namespace="gateway")


class ProcessOwner:
    def __init__(self, gateway: GatewayService, reactor: Any) -> None:
        self._gateway = gateway
        self._reactor = reactor
        self._stopping = False
        gateway.onAbandon = self._exitAfterShutdown
        gateway.reportRefusal = self.reportRefusal

    def reportRefusal(self, error: StartupError) -> None:
        """Show a refused start (from L{makeService} or the bind) to the user, once."""
        sys.stderr.write(error.message + "\n")
        sys.stderr.flush()

    def installSignalHandlers(self) -> None:
        """Before the ready line: a supervisor may signal as soon as it sees it."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._onSignal)
        for sig in (signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, self._onRestartSignal)
        # reactor.run() installs reactor.sigTerm for SIGTERM (and leaves a SIGINT
        # handler that is not the default alone): make that one ours as well.
        self._reactor.sigTerm = self._onSignal

    def _onSignal(self, signum: int, frame: Any) -> None:
        self._reactor.callFromThread(self._stopForSignal, signal.Signals(signum).name)

    def _onRestartSignal(self, signum: int, frame: Any) -> None:
        self._reactor.callFromThread(self._gateway.reload.signalled, signum)

    def _stopForSignal(self, name: str) -> None:
        if self._stopping or self._gateway.stopping:
            _log.info("received {sig} during shutdown; ignoring", sig=name)
            return
        self._stopping = True
        _log.info("received {sig}; shutting down", sig=name)
        self._reactor.stop()

    def _exitAfterShutdown(self) -> None:
        self._reactor.addSystemEventTrigger("after", "shutdown", _exit, self._gateway.exitCode)
        self._reactor.stop()


def _exit(code: int) -> None:
    """End the process with C{code} once the reactor has shut down (logs written)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


__all__ = ["ProcessOwner"]
