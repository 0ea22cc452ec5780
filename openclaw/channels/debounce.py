"""
Rapid messages of one sender in one chat merged into one turn: each new message
restarts the quiet window; a batch is flushed early once it holds 12 messages or
50 000 characters, and a long paste (≥4000 characters) waits up to 1.5 s.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable

from twisted.internet.interfaces import IReactorTime

MAX_MESSAGES = 12
MAX_CHARS = 50_000
PASTE_CHARS = 4000
PASTE_WAIT_MS = 1500


class Debouncer:
    def __init__(self, clock: IReactorTime, flush: Callable[[list[Any]], Any]) -> None:
        self._clock = clock
        self._flush = flush
        self._batches: dict[Hashable, tuple[list[Any], Any]] = {}

    def add(self, key: Hashable, item: Any, text: str, windowMs: int) -> None:
        if windowMs <= 0 and key not in self._batches:
            self._flush([item])
            return
        items, timer = self._batches.pop(key, ([], None))
        if timer is not None and timer.active():
            timer.cancel()
        items.append(item)
        if len(items) >= MAX_MESSAGES or sum(len(getattr(i, "text", "")) for i in items) >= MAX_CHARS:
            self._flush(items)
            return
        wait = max(windowMs, PASTE_WAIT_MS) if len(text) >= PASTE_CHARS else windowMs
        self._batches[key] = (items, self._clock.callLater(wait / 1000, self._fire, key))

    def _fire(self, key: Hashable) -> None:
        items, _ = self._batches.pop(key)
        self._flush(items)

    def cancelAll(self) -> None:
        """Forget the open batches (their messages stay queued durably and are replayed)."""
        for items, timer in self._batches.values():
            if timer.active():
                timer.cancel()
        self._batches.clear()
