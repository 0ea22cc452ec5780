"""
The one-thread SQLite pool the gateway's stores share (pairing, sessions,
channels): one C{adbapi} connection on its own thread, so each store operation is
one transaction and nothing blocks the reactor. The store's directory is created
and the thread is joined off the reactor too. L{SQLiteStore} is the service around
one such pool.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Callable, Sequence

from twisted.application.service import Service
from twisted.enterprise import adbapi
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool


class SQLitePool(adbapi.ConnectionPool):
    """A one-connection pool on the SQLite file C{path}; C{opened(conn)} prepares each connection."""

    def __init__(self, path: str, opened: Callable[[sqlite3.Connection], None]) -> None:
        super().__init__(
            "sqlite3", path, check_same_thread=False, cp_min=1, cp_max=1, cp_openfun=opened, cp_noisy=False,
        )

    def connect(self) -> sqlite3.Connection:
        if self.threadID() not in self.connections:  # (in the pool's thread) the first connect
            os.makedirs(os.path.dirname(self.connargs[0]), mode=0o700, exist_ok=True)
        return super().connect()

    def close(self) -> Deferred:
        """L{adbapi.ConnectionPool.close}, with the pool's thread joined from another thread."""
        for trigger in ("shutdownID", "startID"):
            if getattr(self, trigger):
                self._reactor.removeSystemEventTrigger(getattr(self, trigger))
                setattr(self, trigger, None)
        return deferToThreadPool(self._reactor, self._reactor.getThreadPool(), self.finalClose)


class SQLiteStore(Service):
    """
    A service that owns an L{SQLitePool} on its C{path} while it runs. Each
    connection is put in WAL mode with the store's C{synchronous} level, then its
    C{schema} statements run.
    """

    path: str
    schema: Sequence[str] = ()
    #: C{NORMAL} survives a crash of the process; C{FULL} also a loss of power.
    synchronous = "NORMAL"
    _pool: SQLitePool | None = None

    def startService(self) -> None:
        super().startService()
        self._pool = SQLitePool(self.path, self._opened)

    def stopService(self) -> Deferred | None:
        super().stopService()
        pool, self._pool = self._pool, None
        return None if pool is None else pool.close()

    def _opened(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        for statement in self.schema:
            conn.execute(statement)
        conn.commit()
