"""
The gateway's boot records in the state dir (C{<stateDir>/gateway/boots.json}).

Each boot of a gateway appends one record when it starts and marks it clean when it
stops cleanly. A record never marked clean whose process is gone is an I{unclean
boot} (crash, SIGKILL, failed start): the crash-loop breaker counts those. A record
not marked clean whose process is alive is a running gateway: C{gateway status},
C{stop} and C{restart} find foreground gateways this way.

Plain blocking file I/O, no Twisted: the gateway calls it before it serves (or in a
thread), the CLI in a thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import asdict, dataclass, replace
from typing import Iterable, Iterator

from openclaw import procs
from openclaw.atomicfile import write_atomically
from openclaw.paths import boot_history_path

#: Records kept; older ones are dropped when a boot is added.
KEEP = 20


@dataclass(frozen=True)
class Boot:
    bootId: str
    pid: int
    #: Seconds since the epoch.
    startedAt: float
    #: The program that booted: C{openclaw} or C{twistd}.
    entry: str
    clean: bool = False
    endedAt: float | None = None

    def running(self) -> bool:
        return not self.clean and procs.alive(self.pid)


class BootHistory:
    def __init__(self, stateDir: str) -> None:
        self.path = boot_history_path(stateDir)

    def read(self) -> list[Boot]:
        """The records, oldest first; a missing or unreadable file holds none."""
        try:
            with open(self.path, encoding="utf-8") as f:
                raw = json.load(f)
        except (OSError, ValueError):
            return []
        boots = []
        for item in raw.get("boots", []) if isinstance(raw, dict) else []:
            try:
                boots.append(Boot(**item))
            except TypeError:
                continue  # a record of another shape: skip it, keep the rest
        return boots

    def begin(self, boot: Boot) -> list[Boot]:
        """Record C{boot}; returns the records that were there before it."""
        with self._locked():
            before = self.read()
            self._write([*before, boot][-KEEP:])
        return before

    def end(self, bootId: str, now: float) -> None:
        """Mark C{bootId} as cleanly stopped."""
        with self._locked():
            self._write([replace(b, clean=True, endedAt=now) if b.bootId == bootId else b for b in self.read()])

    def running(self) -> list[Boot]:
        """Records of gateways that are up now, newest first."""
        return [b for b in reversed(self.read()) if b.running()]

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold an exclusive lock on C{boots.json.lock} (other processes share the state dir)."""
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _write(self, boots: Iterable[Boot]) -> None:
        write_atomically(self.path, json.dumps({"boots": [asdict(b) for b in boots]}, indent=1))
