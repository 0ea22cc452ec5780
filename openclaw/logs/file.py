"""
The file log: OpenClaw's JSON lines, written off the reactor thread.

L{FileLogObserver} filters and formats on the thread that logs, then hands the
finished line and its target path to one writer thread, which opens, appends,
rotates and (for the rolling family) prunes.  Nothing on the calling thread waits
for the disk, except L{FileLogObserver.flush} and L{FileLogObserver.close}, which
exist to wait.

The lines are for this user alone: files are created 0600 (an existing one of ours
with a wider mode is narrowed), and the rolling family's directory is made 0700, or
refused (L{UnsafeLogDirectory}) when it is a symlink or another user's. A line that
cannot be written is dropped; the first of each distinct failure is logged.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass, replace
from datetime import date
from queue import Empty, SimpleQueue
from typing import Any, Callable, Mapping, Sequence

from twisted.logger import ILogObserver, Logger
from zope.interface import implementer

from openclaw.logs.family import MAX_ARCHIVES, RETAIN_SECONDS, LogFamily, archive_path, log_family
from openclaw.logs.levels import allows, normalize_level
from openclaw.logs.record import build_record, record_line

DEFAULT_MAX_FILE_BYTES = 104857600
DIR_MODE = 0o700
FILE_MODE = 0o600

_STOP = object()
_log = Logger(namespace="logs")


class UnsafeLogDirectory(OSError):
    """The log directory is not this user's alone; nothing is written there."""


def make_private_dir(directory: str) -> None:
    """
    Create C{directory} (mode 0700), or make an existing one private: ours with
    group or other permissions is narrowed to 0700; a symlink, a non-directory or
    another user's directory is refused.

    @raise UnsafeLogDirectory: saying which and why.
    """
    try:
        st = os.lstat(directory)
    except FileNotFoundError:
        os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
        st = os.lstat(directory)
    refusal = f"refusing to write the log to {directory}"
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeLogDirectory(f"{refusal}: it is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeLogDirectory(f"{refusal}: it is not a directory")
    if st.st_uid != os.getuid():
        raise UnsafeLogDirectory(f"{refusal}: it belongs to uid {st.st_uid}, not to this user (uid {os.getuid()})")
    if stat.S_IMODE(st.st_mode) != DIR_MODE:
        os.chmod(directory, DIR_MODE)


class _Writer:
    """
    The one thread that touches the log files.  Items are C{(path, data, maxBytes,
    family)} lines, C{threading.Event}s to set once everything before them is
    written, or C{_STOP}.
    """

    def __init__(self, retainSeconds: float | None) -> None:
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._retain = retainSeconds
        self._fd: int | None = None
        self._path: str | None = None
        self._ino: tuple[int, int] | None = None
        self.lastError: OSError | None = None
        self._reported: str | None = None
        self.written = 0

    def put(self, item: Any) -> bool:
        with self._lock:
            if self._closed:
                return False
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="openclaw-log-writer", daemon=True
                )
                self._thread.start()
            self._queue.put(item)
            return True

    def flush(self, timeout: float | None = None) -> bool:
        with self._lock:
            if self._closed or self._thread is None:
                return True
            done = threading.Event()
            self._queue.put(done)
        return done.wait(timeout)

    def close(self, timeout: float | None = None) -> bool:
        with self._lock:
            if self._closed:
                thread = None
            else:
                self._closed = True
                thread = self._thread
                if thread is not None:
                    self._queue.put(_STOP)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    # The writer thread.

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            waiters: list[threading.Event] = []
            self._checkReplaced()
            while True:
                if item is _STOP:
                    stop = True
                elif isinstance(item, threading.Event):
                    waiters.append(item)
                else:
                    self._write(*item)
                try:
                    item = self._queue.get_nowait()
                except Empty:
                    break
            for waiter in waiters:
                waiter.set()
        self._closeFile()

    def _write(self, path: str, data: bytes, maxBytes: int, family: LogFamily) -> None:
        try:
            if path != self._path or self._fd is None:
                self._open(path, family)
            assert self._fd is not None
            size = os.fstat(self._fd).st_size
            if maxBytes > 0 and size > 0 and size + len(data) > maxBytes:
                self._rotate(path, family)
            view = memoryview(data)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            self.written += 1
        except OSError as e:
            self.lastError = e
            self._closeFile()
            self._report(path, e)

    def _report(self, path: str, error: OSError) -> None:
        """
        Log a failure once (until another one happens): the event reaches the console
        and any other observer, while its own line here fails again silently.
        """
        message = str(error)
        if message != self._reported:
            self._reported = message
            _log.error("log file {path} not written: {error}", path=path, error=message)

    def _open(self, path: str, family: LogFamily) -> None:
        self._closeFile()
        directory = os.path.dirname(path) or "."
        if family.rolling:
            make_private_dir(directory)
        elif not os.path.isdir(directory):  # logging.file names a directory the user chose
            os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        st = os.fstat(fd)
        if stat.S_IMODE(st.st_mode) & ~FILE_MODE:
            os.fchmod(fd, FILE_MODE)
        self._fd, self._path, self._ino = fd, path, (st.st_dev, st.st_ino)
        if family.rolling and self._retain is not None:
            family.prune(keep=path, maxAge=self._retain)

    def _rotate(self, path: str, family: LogFamily) -> None:
        self._closeFile()
        for index in range(MAX_ARCHIVES, 1, -1):
            older = archive_path(path, index - 1)
            if os.path.exists(older):
                os.replace(older, archive_path(path, index))
        os.replace(path, archive_path(path, 1))
        self._open(path, family)

    def _checkReplaced(self) -> None:
        """Reopen when someone else rotated or removed our file."""
        if self._fd is None or self._path is None:
            return
        try:
            st = os.stat(self._path)
            current = (st.st_dev, st.st_ino)
        except OSError:
            current = None
        if current != self._ino:
            self._closeFile()

    def _closeFile(self) -> None:
        fd, self._fd, self._path, self._ino = self._fd, None, None, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass


@dataclass(frozen=True)
class _Config:
    family: LogFamily
    level: str
    maxFileBytes: int
    patterns: tuple[str, ...] | None


@implementer(ILogObserver)
class FileLogObserver:
    """
    Write events at or above C{level} as OpenClaw JSON lines.

    @param path: C{logging.file} (a fixed file) or None for the rolling family of
        C{profile} under C{directory} (default L{openclaw.paths.default_log_dir}).
    @param today: the local date, for the rolling family's file name.
    @param retainSeconds: rolling files untouched this long are removed when a new
        one is opened; None keeps everything.
    """

    def __init__(
        self,
        path: str | None = None,
        *,
        profile: str | None = None,
        directory: str | None = None,
        level: str = "info",
        maxFileBytes: int = DEFAULT_MAX_FILE_BYTES,
        redactPatterns: Sequence[str] | None = None,
        today: Callable[[], date] = date.today,
        retainSeconds: float | None = RETAIN_SECONDS,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._today = today
        self._environ = environ
        self._directory = directory
        self._config = _Config(
            log_family(profile, path, directory=directory, environ=environ),
            normalize_level(level),
            int(maxFileBytes),
            tuple(redactPatterns) if redactPatterns else None,
        )
        self._writer = _Writer(retainSeconds)
        self._day: date | None = None
        self._dayPath: str | None = None
        self._lastPath: str | None = None

    # Settings.

    @property
    def family(self) -> LogFamily:
        return self._config.family

    @property
    def level(self) -> str:
        return self._config.level

    @property
    def maxFileBytes(self) -> int:
        return self._config.maxFileBytes

    @property
    def lastError(self) -> OSError | None:
        """The last error of the writer thread (a line that could not be written is dropped)."""
        return self._writer.lastError

    def configure(
        self,
        *,
        path: str | None | object = ...,
        profile: str | None | object = ...,
        directory: str | None | object = ...,
        level: str | object = ...,
        maxFileBytes: int | object = ...,
        redactPatterns: Sequence[str] | None | object = ...,
    ) -> None:
        """Change settings; the next record uses them.  Omitted ones stay."""
        config = self._config
        if path is not ... or profile is not ... or directory is not ...:
            family = config.family
            newPath = family.fixed if path is ... else path
            newProfile = family.profile if profile is ... else profile
            if directory is not ...:
                self._directory = directory  # type: ignore[assignment]
            config = replace(
                config,
                family=log_family(
                    newProfile, newPath, directory=self._directory, environ=self._environ  # type: ignore[arg-type]
                ),
            )
            self._day = self._dayPath = None
        if level is not ...:
            config = replace(config, level=normalize_level(level))
        if maxFileBytes is not ...:
            config = replace(config, maxFileBytes=int(maxFileBytes))  # type: ignore[call-overload]
        if redactPatterns is not ...:
            config = replace(
                config,
                patterns=tuple(redactPatterns) if redactPatterns else None,  # type: ignore[arg-type]
            )
        self._config = config

    # Paths.

    def _pathNow(self, family: LogFamily) -> str:
        if family.fixed is not None:
            return family.fixed
        day = self._today()
        if day != self._day or self._dayPath is None:
            self._dayPath, self._day = family.pathFor(day), day
        return self._dayPath

    def currentPath(self) -> str:
        """The file the next line goes to (for the rolling family: today's file)."""
        return self._pathNow(self._config.family)

    def lastPath(self) -> str | None:
        """The file the last accepted line was queued for, if any."""
        return self._lastPath

    # ILogObserver.

    def __call__(self, event: Mapping[str, Any]) -> None:
        config = self._config
        try:
            if not allows(config.level, event):
                return
            line = record_line(build_record(event, config.patterns))
            path = self._pathNow(config.family)
        except Exception:
            return
        if self._writer.put((path, line, config.maxFileBytes, config.family)):
            self._lastPath = path

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every line queued so far is on disk; False on timeout."""
        return self._writer.flush(timeout)

    def close(self, timeout: float | None = None) -> bool:
        """Write what is queued, close the file and end the writer; later lines are dropped."""
        return self._writer.close(timeout)


__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "FileLogObserver",
    "LogFamily",
    "UnsafeLogDirectory",
    "log_family",
    "make_private_dir",
]
