"""
One channel account as a service: runs its transport, restarts it by the restart
ladder when it fails, and keeps the account's status snapshot (running,
connected, the last times and error, the health state).
"""

from __future__ import annotations

from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.defer import Deferred, TimeoutError, maybeDeferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from openclaw.channels.base import ITransportEvents
from openclaw.channels.health import UNHEALTHY, health_state
from openclaw.channels.ladder import MAX_ATTEMPTS, RestartLadder
from openclaw.channels.settings import AccountSettings

_log = Logger(namespace="gateway/channels")
#: How long a stop waits for the transport's session to end.
STOP_TIMEOUT_SECONDS = 5.0


class TerminalError(Exception):
    """A failure no restart can fix (a rejected token): the account stops without retrying."""


@implementer(ITransportEvents)
class AccountRunner(Service):
    def __init__(
        self,
        account: AccountSettings,
        transport: Any,
        clock: IReactorTime,
        deliver: Callable[["AccountRunner", list, Any], Deferred],
        ladder: RestartLadder | None = None,
        onConnected: Callable[["AccountRunner"], Any] | None = None,
    ) -> None:
        self.account = account
        self.channelId = account.channelId
        self.accountId = account.accountId
        self.name = f"{account.channelId}:{account.accountId}"
        self.transport = transport
        self._clock = clock
        self._deliver = deliver
        self._ladder = ladder or RestartLadder()
        self._onConnected = onConnected
        self._session: Deferred | None = None
        self._restart: Any = None
        self._startedAt = 0.0
        self.manuallyStopped = False
        self.state: dict[str, Any] = {
            "running": False, "connected": False, "reconnectAttempts": 0, "lastConnectedAt": None,
            "lastError": account.problem, "lastStartAt": None, "lastStopAt": None, "lastInboundAt": None,
            "lastOutboundAt": None, "lastTransportActivityAt": None, "lastDisconnectAt": None, "busy": False,
            "activeRuns": 0, "lastRunActivityAt": None, "lastProbeAt": None, "probe": None, "terminal": False,
        }

    def _now(self) -> int:
        return int(self._clock.seconds() * 1000)

    # lifecycle ----------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self.manuallyStopped = False
        self._ladder.reset()
        self.state.update(terminal=False, reconnectAttempts=0)
        if self.transport is not None:
            self._launch()

    @property
    def idle(self) -> bool:
        """Started, but its session ended for good (credentials rejected, or the ladder gave up)."""
        return self.running and self.transport is not None and self._session is None and (
            self._restart is None or not self._restart.active())

    def _launch(self) -> None:
        self._restart = None
        self._startedAt = self._clock.seconds()
        self.state.update(running=True, lastStartAt=self._now())
        self._session = maybeDeferred(self.transport.run, self)
        self._session.addBoth(self._ended)

    def _ended(self, result: Any) -> None:
        self._session = None
        self.state.update(running=False, connected=False, lastStopAt=self._now())
        if not self.running:
            return
        error = result.getErrorMessage() if hasattr(result, "getErrorMessage") else "channel exited"
        self.state["lastError"] = error
        if hasattr(result, "check") and result.check(TerminalError):
            self.state["terminal"] = True
            _log.error("[{account}] stopped: {error}", account=self.name, error=error)
            return
        delay = self._ladder.next(self._clock.seconds() - self._startedAt)
        if delay is None:
            _log.error("[{account}] giving up after {n} restart attempts", account=self.name, n=MAX_ATTEMPTS)
            return
        self.state["reconnectAttempts"] = self._ladder.attempts
        _log.warn(
            "[{account}] auto-restart attempt {n}/{max} in {delay}s ({error})",
            account=self.name, n=self._ladder.attempts, max=MAX_ATTEMPTS, delay=f"{delay:.1f}", error=error,
        )
        self._restart = self._clock.callLater(delay, self._launch)

    def stopService(self) -> Deferred:
        super().stopService()
        if self._restart is not None and self._restart.active():
            self._restart.cancel()
        self._restart = None
        session = self._session
        if session is None:
            return succeed(None)
        ended = Deferred()
        session.addBoth(lambda result: (ended.called or ended.callback(None), result)[1])
        maybeDeferred(self.transport.stop).addErrback(lambda f: None)
        timeout = self._clock.callLater(STOP_TIMEOUT_SECONDS, lambda: ended.called or ended.callback(None))
        return ended.addBoth(lambda r: (timeout.active() and timeout.cancel(), r)[1])

    # events from the transport ------------------------------------------------------

    def connected(self) -> None:
        now = self._now()
        self.state.update(connected=True, lastConnectedAt=now, lastTransportActivityAt=now, lastError=None)
        if self._onConnected is not None:
            self._onConnected(self)

    def disconnected(self, reason: str) -> None:
        self.state.update(connected=False, lastDisconnectAt=self._now(), lastError=reason)

    def activity(self) -> None:
        self.state["lastTransportActivityAt"] = self._now()

    def inbound(self, message: Any) -> Deferred:
        return self.inboundBatch([message], None)

    def inboundBatch(self, messages: list, offset: Any) -> Deferred:
        if messages:
            self.state["lastInboundAt"] = self._now()
        return self._deliver(self, messages, offset)

    # used by the inbound path -------------------------------------------------------

    def send(self, chat: Any, text: str, replyTo: str | None = None) -> Deferred:
        if self.transport is None:
            raise RuntimeError(f"{self.name} is not configured")
        d = maybeDeferred(self.transport.send, chat, text, replyTo)

        def sent(result: Any) -> Any:
            self.state["lastOutboundAt"] = self._now()
            return result

        def failed(f: Any) -> Any:
            self.state["lastError"] = f"send failed: {f.getErrorMessage()}"
            return f

        return d.addCallbacks(sent, failed)

    def runStarted(self) -> None:
        now = self._now()
        self.state["activeRuns"] += 1
        self.state.update(busy=True, lastRunActivityAt=now, activeRunStartedAt=now)

    def runEnded(self) -> None:
        self.state["activeRuns"] = max(0, self.state["activeRuns"] - 1)
        self.state.update(busy=self.state["activeRuns"] > 0, lastRunActivityAt=self._now())

    # status -------------------------------------------------------------------------

    def probe(self, timeoutSeconds: float) -> Deferred:
        if self.transport is None:
            return succeed({"ok": False, "error": self.account.problem or "not configured"})

        def timedOut(f: Any) -> dict:
            f.trap(TimeoutError)
            return {"ok": False, "timedOut": True, "error": f"probe timed out after {int(timeoutSeconds * 1000)}ms"}

        def record(result: dict) -> dict:
            self.state.update(probe=result, lastProbeAt=self._now())
            if not result.get("ok") and not self.state.get("lastError"):
                self.state["lastError"] = result.get("error")
            return result

        d = maybeDeferred(self.transport.probe, timeoutSeconds).addTimeout(timeoutSeconds + 1, self._clock)
        return d.addErrback(timedOut).addCallback(record)

    def healthState(self) -> str:
        managed = self.account.enabled and self.account.configured and not self.manuallyStopped
        return health_state(self.state, self._now(), managed)

    def healthy(self) -> bool:
        return self.healthState() not in UNHEALTHY

    def snapshot(self) -> dict[str, Any]:
        policy = getattr(self.account.config, "policy", None)
        snap: dict[str, Any] = {
            "accountId": self.accountId,
            "enabled": self.account.enabled,
            "configured": self.account.configured,
        }
        for key in ("running", "connected", "reconnectAttempts", "lastConnectedAt", "lastError", "lastStartAt",
                    "lastStopAt", "lastInboundAt", "lastOutboundAt", "lastTransportActivityAt", "busy", "activeRuns",
                    "lastRunActivityAt", "lastProbeAt"):
            snap[key] = self.state.get(key)
        if self.state.get("activeRunStartedAt") is not None and self.state["busy"]:
            snap["activeRunStartedAt"] = self.state["activeRunStartedAt"]
        snap["healthState"] = self.healthState()
        if policy is not None:
            snap["dmPolicy"] = policy.dmPolicy
            snap["allowFrom"] = list(policy.allowFrom)
        if self.transport is not None:
            snap.update(self.transport.describe())
        if self.state.get("probe") is not None:
            snap["probe"] = self.state["probe"]
        return snap
