"""
The crash-loop breaker (operations.md §6).

Every boot is recorded in the state dir (L{openclaw.boots}). When the records hold
three or more unclean boots within five minutes, this boot brings the control plane
up as usual but leaves channel/provider auto-start suppressed, so a supervisor that
cannot stop on exit 78 (launchd, Task Scheduler) does not keep re-running a channel
that crashes the process. An explicit C{channels.start} still starts one channel.
Once this gateway has stayed up until the window holds no unclean boot, auto-start
is restored and the deferred channels start.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from openclaw import procs
from openclaw.boots import Boot, BootHistory
from openclaw.channels.manager import ChannelManager

_log = Logger(namespace="gateway")

WINDOW_MS = 300_000
THRESHOLD = 3
MANUAL_START = "openclaw gateway call channels.start --params '{\"channel\":\"<id>\"}'"


def unclean_boots(boots: list[Boot], now: float, windowMs: int = WINDOW_MS) -> list[Boot]:
    """Boots within the window that never stopped cleanly and whose process is gone."""
    return [
        b for b in boots
        if not b.clean and (now - b.startedAt) * 1000 < windowMs and not procs.alive(b.pid)
    ]


class CrashLoopBreaker:
    """
    One per gateway process: L{boot} before anything listens, L{ended} after a clean
    stop. C{clock} supplies both the time written into the records and the recovery
    timer; C{reactor} runs the clean-stop write in its thread pool.
    """

    def __init__(self, stateDir: str, clock: Any, reactor: Any) -> None:
        self.history = BootHistory(stateDir)
        self.bootId = str(uuid.uuid4())
        self._clock = clock
        self._reactor = reactor
        self._recovery: Any = None
        self._channels: ChannelManager | None = None
        self._booted = False
        self.tripped = False

    def boot(self, channels: ChannelManager) -> None:
        """Record this boot; trip when the earlier records say the gateway is crash-looping."""
        now = self._clock.seconds()
        entry = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
        earlier = self.history.begin(Boot(self.bootId, os.getpid(), now, entry))
        self._booted = True
        unclean = unclean_boots(earlier, now)
        if len(unclean) < THRESHOLD:
            self.guard(channels)
            return
        self.tripped = True
        _log.error(
            "gateway restart-loop breaker tripped: {count} unclean boot(s) within {window}ms; "
            "suppressing channel/provider account auto-start. Inspect the stability bundle and "
            "fix the startup crash before restarting the service. Start a channel manually with: {hint}",
            count=len(unclean), window=WINDOW_MS, hint=MANUAL_START,
        )
        self.guard(channels)
        newest = max(b.startedAt for b in unclean)
        delay = max(0.0, newest + WINDOW_MS / 1000 - now)
        self._recovery = self._clock.callLater(delay, self._recover)

    def guard(self, channels: ChannelManager) -> None:
        """
        C{channels} is the tree's channel manager from now on (an in-process restart
        builds a new one): while tripped, it must not auto-start either.
        """
        self._channels = channels
        if self.tripped:
            channels.suppressAutoStart(MANUAL_START)

    def _recover(self) -> None:
        self._recovery = None
        self.tripped = False
        _log.info("gateway restart-loop breaker recovered; channel auto-start restored")
        if self._channels is not None:
            self._channels.restoreAutoStart()

    def stop(self) -> None:
        """The gateway is stopping: no recovery from here on."""
        if self._recovery is not None and self._recovery.active():
            self._recovery.cancel()
        self._recovery = None

    def ended(self) -> Deferred:
        """Mark this boot clean (in a thread: the reactor is still serving)."""
        self.stop()
        if not self._booted:
            return succeed(None)
        return deferToThreadPool(
            self._reactor, self._reactor.getThreadPool(), self.history.end, self.bootId, self._clock.seconds()
        )
