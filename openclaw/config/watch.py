"""
The config watcher: polls the active config file and its includes on the reactor.

A poll compares each file's C{stat} (existence, inode, size, mtime). After a change
the watcher waits until the files have been quiet for the write-settle time plus
the debounce, so an editor's temp-file-and-rename save is one change; it then
hashes the contents and calls C{onChange} only when they differ from the last
content it reported or was told about (a rewrite with the same bytes is no change).
"""

from __future__ import annotations

import hashlib
import os
from typing import Callable, Iterable

from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

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


def contents_digest(paths: Iterable[str]) -> str:
    """One hash over the contents of C{paths} (a missing file counts as its own content)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode() + b"\0")
        try:
            with open(path, "rb") as f:
                digest.update(b"1" + hashlib.sha256(f.read()).digest())
        except OSError:
            digest.update(b"0")
    return digest.hexdigest()


class ConfigWatcher:
    def __init__(
        self,
        clock: IReactorTime,
        onChange: Callable[[], None],
        debounceMs: int = DEFAULT_DEBOUNCE_MS,
        pollInterval: float = POLL_INTERVAL,
    ) -> None:
        self._clock = clock
        self._onChange = onChange
        self.debounceMs = debounceMs
        self._paths: tuple[str, ...] = ()
        self._stats: tuple = ()
        self._digest = ""
        self._changedAt: float | None = None
        self._loop = LoopingCall(self._poll)
        self._loop.clock = clock
        self._pollInterval = pollInterval

    @property
    def running(self) -> bool:
        return self._loop.running

    @property
    def paths(self) -> tuple[str, ...]:
        return self._paths

    def watch(self, paths: Iterable[str]) -> None:
        """
        Watch exactly C{paths} from now on, taking their current state and
        contents as the accepted one (no change is reported for it).
        """
        self._paths = tuple(dict.fromkeys(paths))
        self._stats = tuple(_stat(p) for p in self._paths)
        self._digest = contents_digest(self._paths)
        self._changedAt = None

    def start(self) -> None:
        if not self._loop.running:
            self._loop.start(self._pollInterval, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()
        self._changedAt = None

    def _poll(self) -> None:
        now = self._clock.seconds()
        stats = tuple(_stat(p) for p in self._paths)
        if stats != self._stats:
            self._stats = stats
            self._changedAt = now
            return
        if self._changedAt is None or (now - self._changedAt) * 1000 < SETTLE_MS + self.debounceMs:
            return
        self._changedAt = None
        digest = contents_digest(self._paths)
        if digest == self._digest:
            return
        self._digest = digest
        try:
            self._onChange()
        except Exception:
            _log.failure("config change handler failed")


__all__ = ["ConfigWatcher", "contents_digest"]
