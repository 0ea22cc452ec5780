"""
One model turn over a plan of model refs (primary, then fallbacks):

1. a transient, rate-limit or overload error retries the same model a bounded
   number of times, after the upstream's C{retry-after} when it gives one (a hint
   longer than the cap moves on instead of waiting) or else an exponential delay;
2. an error worth failing over for (those, plus auth, timeout, model not found)
   moves to the next ref of the plan; any other error ends the turn;
3. once a stream has delivered an event to the caller, its error ends the turn:
   a retry would repeat output the caller has already shown.

The delays run on the injected clock. Cancelling the returned Deferred cancels the
request in flight (closing its connection) or the pending delay.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import deferLater

from openclaw.agents.models import ModelConfigError, ModelRef
from openclaw.agents.providers.base import Completion, EventSink, ModelRequest, Provider, ProviderError, StreamEvent

RETRY_KINDS = frozenset({"transient", "rate_limit", "overload"})
FAILOVER_KINDS = RETRY_KINDS | {"auth", "timeout", "not_found"}


class Failover:
    def __init__(
        self,
        providers: Callable[[ModelRef], Provider],
        clock: IReactorTime,
        retries: int = 2,
        baseDelay: float = 1.0,
        maxDelay: float = 30.0,
    ) -> None:
        self._providers = providers
        self._clock = clock
        self._retries = retries
        self._baseDelay = baseDelay
        self._maxDelay = maxDelay

    def stream(self, plan: Sequence[ModelRef], request: ModelRequest, onEvent: EventSink) -> "Deferred[Completion]":
        """Stream one turn; the completion's C{model} names the ref that answered."""
        if not plan:
            raise ValueError("an empty model plan")
        return Deferred.fromCoroutine(self._run(plan, request, onEvent))

    async def _run(self, plan: Sequence[ModelRef], request: ModelRequest, onEvent: EventSink) -> Completion:
        failures: list[str] = []
        for ref in plan:
            outcome = await self._try(ref, request, onEvent)
            if isinstance(outcome, Completion):
                return outcome
            error = outcome
            failures.append(f"{ref}: {error}")
            if error.kind not in FAILOVER_KINDS:
                break
        raise ProviderError(error.kind, "; ".join(failures), status=error.status, retryAfter=error.retryAfter)

    async def _try(self, ref: ModelRef, request: ModelRequest, onEvent: EventSink) -> Completion | ProviderError:
        """The completion from C{ref}, or the error that ends this ref's attempts."""
        try:
            provider = self._providers(ref)
        except ModelConfigError as e:
            return ProviderError("not_found", str(e))
        attempt = 0
        while True:
            seen = _Seen(onEvent)
            try:
                completion = await provider.stream(replace(request, model=ref.model), seen)
            except ProviderError as e:
                if seen.any:
                    raise
                delay = self._retryDelay(e, attempt)
                if delay is None:
                    return e
                attempt += 1
                await deferLater(self._clock, delay)
            else:
                completion.model = str(ref)
                return completion

    def _retryDelay(self, error: ProviderError, attempt: int) -> float | None:
        if error.kind not in RETRY_KINDS or attempt >= self._retries:
            return None
        if error.retryAfter is not None:
            return error.retryAfter if error.retryAfter <= self._maxDelay else None
        return min(self._baseDelay * 2**attempt, self._maxDelay)


class _Seen:
    """Passes events on and remembers whether any went through."""

    def __init__(self, onEvent: EventSink) -> None:
        self._onEvent = onEvent
        self.any = False

    def __call__(self, event: StreamEvent) -> None:
        self.any = True
        self._onEvent(event)
