"""
Idempotency for side-effecting requests that are not agent runs (C{send}): the
first request with a key acts, and a replay of that key within the TTL gets the
first answer (or its failure) instead of acting again. Agent runs keep their own
cache in L{openclaw.agents.runs.RunManager}, where a key names a run, with the
same bounds (L{DEDUPE_TTL}, L{DEDUPE_MAX}: the protocol's 5 minutes and 1,000 keys).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Hashable

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.python.failure import Failure

DEDUPE_TTL = 300.0
DEDUPE_MAX = 1000


class _Shared:
    """One Deferred's result handed to every observer, before or after it fired."""

    def __init__(self, d: Deferred) -> None:
        self._observers: list[Deferred] = []
        self._result: Any = None
        self._done = False
        d.addBoth(self._fire)

    def _fire(self, result: Any) -> None:
        self._done, self._result = True, result
        observers, self._observers = self._observers, []
        for o in observers:
            self._tell(o)

    def _tell(self, d: Deferred) -> None:
        if isinstance(self._result, Failure):
            d.errback(self._result)
        else:
            d.callback(self._result)

    def observe(self) -> Deferred:
        d: Deferred = Deferred()
        if self._done:
            self._tell(d)
        else:
            self._observers.append(d)
        return d


class DedupeCache:
    """Answers by key for C{ttl} seconds on C{clock}, at most C{maxEntries} keys (the oldest go first)."""

    def __init__(self, clock: IReactorTime, ttl: float = DEDUPE_TTL, maxEntries: int = DEDUPE_MAX) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max = maxEntries
        self._entries: OrderedDict[Hashable, tuple[float, _Shared]] = OrderedDict()

    def once(self, key: Hashable, act: Callable[[], Deferred]) -> Deferred:
        """
        The answer for C{key}: the remembered one, else C{act()}'s (remembered from
        now). An exception C{act} raises at once is not remembered: the request
        was refused, nothing was done.
        """
        now = self._clock.seconds()
        while self._entries and now - next(iter(self._entries.values()))[0] >= self._ttl:
            self._entries.popitem(last=False)
        known = self._entries.get(key)
        if known is not None:
            return known[1].observe()
        shared = _Shared(act())
        self._entries[key] = (now, shared)
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return shared.observe()
