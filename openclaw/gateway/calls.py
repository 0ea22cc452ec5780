"""
What one connection has going on for its handlers: the requests still being answered
(at most L{MAX_IN_FLIGHT}), the subscriptions it holds, and its share of the thread
pool. When the connection closes, all of it ends: the handlers' Deferreds are
cancelled, their cleanups run, subscriptions stop, and thread work that has not
started yet never does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from twisted.internet.defer import CancelledError, Deferred, DeferredSemaphore
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from openclaw.protocol.errors import UNAVAILABLE, GatewayError

if TYPE_CHECKING:
    from openclaw.gateway.methods import CallContext

_log = Logger(namespace="gateway/ws")

#: Requests of one connection being answered at once; more are refused (retryable).
#: The Control UI sends about forty at start-up, most answered at once.
MAX_IN_FLIGHT = 64
#: Threads of the reactor's pool one connection may occupy at a time.
THREAD_SHARE = 2
RETRY_AFTER_MS = 500


def too_many_in_flight(method: str) -> GatewayError:
    return GatewayError(
        UNAVAILABLE,
        f"too many requests in flight ({MAX_IN_FLIGHT}); retry after the pending ones are answered",
        {"method": method, "limit": f"{MAX_IN_FLIGHT} in flight per connection"},
        retryable=True,
        retryAfterMs=RETRY_AFTER_MS,
    )


class Calls:
    def __init__(self, reactor: Any) -> None:
        self._reactor = reactor
        self._inFlight: dict[CallContext, Deferred] = {}
        self._subscriptions: dict[str, Callable[[], None]] = {}
        self._threads: DeferredSemaphore | None = None
        self.closed = False

    @property
    def inFlight(self) -> int:
        return len(self._inFlight)

    def full(self) -> bool:
        return len(self._inFlight) >= MAX_IN_FLIGHT

    def track(self, ctx: CallContext, answered: Deferred) -> None:
        """Hold C{answered} (the handler's Deferred, not fired yet) until it fires."""
        self._inFlight[ctx] = answered
        answered.addBoth(self._done, ctx)

    def _done(self, result: Any, ctx: CallContext) -> Any:
        self._inFlight.pop(ctx, None)
        return result

    def subscribe(self, name: str, stop: Callable[[], None]) -> None:
        if self.closed:
            _run(stop, name)
            return
        self.unsubscribe(name)
        self._subscriptions[name] = stop

    def holds(self, name: str) -> bool:
        """Whether the connection holds the subscription C{name}."""
        return name in self._subscriptions

    def unsubscribe(self, name: str) -> bool:
        stop = self._subscriptions.pop(name, None)
        if stop is None:
            return False
        _run(stop, name)
        return True

    def inThread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred:
        if self._threads is None:
            self._threads = DeferredSemaphore(THREAD_SHARE)
        pool = self._reactor.getThreadPool()
        return self._threads.run(deferToThreadPool, self._reactor, pool, self._unlessClosed, fn, args, kwargs)

    def _unlessClosed(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        """In a thread: C{fn}, unless the connection closed while it waited for the thread."""
        if self.closed:
            raise CancelledError()
        return fn(*args, **kwargs)

    def close(self) -> None:
        """The connection closed: end everything it had going on."""
        self.closed = True
        calls, self._inFlight = self._inFlight, {}
        # newest first: requests still waiting for a thread go before the running ones
        # give their threads back, so none of them starts meanwhile
        for ctx, answered in reversed(calls.items()):
            _run(ctx.connectionLost, ctx.method)
            answered.cancel()
        subscriptions, self._subscriptions = self._subscriptions, {}
        for name, stop in subscriptions.items():
            _run(stop, name)


def _run(cleanup: Callable[[], None], what: str) -> None:
    """One broken cleanup must not keep the others from running."""
    try:
        cleanup()
    except Exception:
        _log.failure("cleanup of {what} failed", what=what)
