"""
The config watcher: polls the active config file and its includes from a thread.

A poll compares each file's C{stat} (existence, inode, size, mtime). After a change
the watcher waits until the files have been quiet for the write-settle time plus
the debounce, so an editor's temp-file-and-rename save is one change; it then
hashes the contents and calls C{onChange} only when they differ from the content
last accepted (a rewrite with the same bytes is no change). The accepted content is
what the reload actually loaded (L{ConfigSource.digest}), so a save that lands while
a reload is loading or restarting still counts as a change. Polls never overlap.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.internet.threads import deferToThread
from twisted.logger import Logger

from openclaw.config.load import files_digest

_log = Logger(namespace="gateway/reload")

POLL_INTERVAL = 0.1
SETTLE_MS = 200
DEFAULT_DEBOUNCE_MS = 300


def _stat(path: str) -> tuple[int, int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _look(paths: tuple[str, ...], stats: tuple | None, hashing: bool) -> tuple[tuple, str | None]:
    """The files' stats now, and (when asked and nothing moved since C{stats}) their digest. Blocking."""
    now = tuple(_stat(p) for p in paths)
    return now, files_digest(paths) if hashing and now == stats else None


class ConfigWatcher:
    def __init__(
        self,
        clock: IReactorTime,
        onChange: Callable[[], None],
        debounceMs: int = DEFAULT_DEBOUNCE_MS,
        pollInterval: float = POLL_INTERVAL,
        inThread: Callable[..., Deferred] = deferToThread,
    ) -> None:
        self._clock = clock
        self._onChange = onChange
        self.debounceMs = debounceMs
        self._inThread = inThread
        self._paths: tuple[str, ...] = ()
        self._stats: tuple | None = None
        self._digest = ""
        self._changedAt: float | None = None
        self._generation = 0
        self._pollInterval = pollInterval
        self._running = False
        self._polling = False
        self._call: Any = None

    @property
    def running(self) -> bool:
        return self._running

    @property
    def paths(self) -> tuple[str, ...]:
        return self._paths

    def watch(self, paths: Iterable[str], digest: str) -> None:
        """
        Watch exactly C{paths} from now on. C{digest} (L{ConfigSource.digest}: the
        config and its includes, in order, as a reload read them) is the accepted
        content; files that differ from it count as a change.
        """
        self._paths = tuple(dict.fromkeys(paths))
        self._digest = digest
        self._stats = None  # the next poll looks at the files afresh
        self._changedAt = None
        self._generation += 1  # a poll already under way reports on the old set

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        if self._call is None and not self._polling:
            self._schedule()

    def stop(self) -> None:
        self._running = False
        if self._call is not None:
            self._call.cancel()
            self._call = None
        self._changedAt = None

    def _schedule(self) -> None:
        self._call = self._clock.callLater(self._pollInterval, self._poll)

    def _poll(self) -> None:
        self._call = None
        self._polling = True
        now = self._clock.seconds()
        settled = self._changedAt is not None and (now - self._changedAt) * 1000 >= SETTLE_MS + self.debounceMs
        d = self._inThread(_look, self._paths, self._stats, settled)
        d.addCallback(self._looked, self._generation, now)
        d.addErrback(lambda f: _log.failure("config watch poll failed", f))
        d.addBoth(self._polled)

    def _polled(self, _: Any) -> None:
        self._polling = False
        if self._running:
            self._schedule()

    def _looked(self, found: tuple[tuple, str | None], generation: int, now: float) -> None:
        if generation != self._generation or not self._running:
            return
        stats, digest = found
        if stats != self._stats:
            self._stats = stats
            self._changedAt = now
            return
        if digest is None:
            return
        self._changedAt = None
        if digest == self._digest:
            return
        self._digest = digest
        try:
            self._onChange()
        except Exception:
            _log.failure("config change handler failed")


__all__ = ["ConfigWatcher"]
