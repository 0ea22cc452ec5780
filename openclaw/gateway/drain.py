"""
The graceful-shutdown budget (operations.md §4): before the sockets close, in-flight
work (what C{ReloadController.track} counts: agent runs) gets until the budget to
finish; what is still running then is cancelled.

The budget is 315 s (the unit's C{TimeoutStopSec=330} less 15 s for final writes),
5 s under launchd (the plist's C{ExitTimeOut=20}).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

_log = Logger(namespace="gateway")

DRAIN_BUDGET_MS = 315_000
LAUNCHD_DRAIN_BUDGET_MS = 5_000
#: Progress lines while draining, at most this often.
PROGRESS_EVERY = 30.0


def drain_budget_ms(environ: Mapping[str, str]) -> int:
    return LAUNCHD_DRAIN_BUDGET_MS if environ.get("OPENCLAW_LAUNCHD_LABEL") else DRAIN_BUDGET_MS


def drain(inFlight: Callable[[], list[Deferred]], clock: Any, budgetMs: int) -> Deferred:
    """
    Fire once every Deferred of C{inFlight()} has fired, or at the deadline, after
    cancelling those still pending. Never fails.
    """
    pending = inFlight()
    if not pending:
        _log.info("active-work drain settled; beginning server close")
        return succeed(None)

    def progress() -> None:
        left = [d for d in pending if not d.called]
        _log.info("draining {n} active run(s) before shutdown (budget {ms}ms)", n=len(left), ms=budgetMs)

    ticker = LoopingCall(progress)
    ticker.clock = clock
    ticker.start(PROGRESS_EVERY, now=True)
    done = DeferredList(pending, consumeErrors=True)
    deadline = clock.callLater(budgetMs / 1000, _abort, pending, budgetMs)

    def settled(_: Any) -> None:
        ticker.stop()
        if deadline.active():
            deadline.cancel()
        _log.info("active-work drain settled; beginning server close")

    return done.addBoth(settled)


def _abort(pending: list[Deferred], budgetMs: int) -> None:
    left = [d for d in pending if not d.called]
    _log.warn("shutdown budget of {ms}ms exhausted; cancelling {n} run(s) still in flight", ms=budgetMs, n=len(left))
    for d in left:
        d.cancel()
