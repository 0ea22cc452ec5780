"""
Give freed memory back to the operating system.

Closed connections are freed at once (nothing keeps them alive), but the allocators
keep what was freed: pymalloc an arena while any object in it lives (the interpreter's
free lists hold some), glibc the pages that are not at the top of its heap. A gateway
that served a burst of connections would stay that large for good: the memory is
reused by the next burst, not leaked, yet the process never shrinks. L{give_back}
runs a full collection (which also empties the free lists, so whole arenas can go)
and then C{malloc_trim}, which returns glibc's free pages (where there is no glibc,
only the collection runs).

A full collection walks every object the collector tracks, and most of them (modules,
classes, compiled schemas) live as long as the process: in a dedicated gateway
process, L{keep_startup_heap} moves them out of the collector's way before the
service tree is built.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from typing import Any, Callable

#: A burst: at least this many connections gone, and at most half of the peak left.
BURST_MIN = 256
#: How long closing has to pause before the heap is trimmed (one trim per wave of closes).
SETTLE_SECONDS = 1.0


def _trimmer() -> Callable[[], None]:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    if trim is None:
        return lambda: None
    trim.argtypes = [ctypes.c_size_t]
    return lambda: trim(0) and None


_trim = _trimmer()


def give_back() -> None:
    gc.collect()
    _trim()


def keep_startup_heap() -> None:
    """
    Collect, then move every survivor to the collector's permanent generation, so
    no later full collection walks it again. For a process the gateway owns, after
    the imports (nearly all the objects the collector tracks) and before the
    service tree, which a restart replaces (frozen, its reference cycles would
    never be collected). Not for an embedding application's process: its heap is
    not ours to freeze.
    """
    gc.collect()
    gc.freeze()


class AfterBursts:
    """
    Counts open connections and gives the heap back once a burst of them has closed:
    when at least L{BURST_MIN} are gone since the peak and at most half the peak is
    left, and no connection has closed for L{SETTLE_SECONDS}. Churn below that never
    trims: trimming walks the whole heap, and steady traffic reuses what it freed.
    """

    def __init__(self, clock: Any, giveBack: Callable[[], None] = give_back) -> None:
        self._clock = clock
        self._giveBack = giveBack
        self._open = 0
        self._peak = 0
        self._pending = None

    def opened(self) -> None:
        self._open += 1
        self._peak = max(self._peak, self._open)

    def closed(self) -> None:
        self._open -= 1
        if self._peak - self._open < BURST_MIN or self._open > self._peak // 2:
            return
        if self._pending is not None and self._pending.active():
            self._pending.reset(SETTLE_SECONDS)
        else:
            self._pending = self._clock.callLater(SETTLE_SECONDS, self._release)

    def _release(self) -> None:
        self._pending = None
        self._peak = self._open
        self._giveBack()

    def stop(self) -> None:
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        self._pending = None
