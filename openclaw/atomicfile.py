"""
Replacing a file atomically and durably: the data goes to a temp file beside it
(created owner-only, named after the writing process), is flushed to disk, gets its
final mode and is renamed over the target; the directory is then flushed too, so
the rename survives a power cut. On any failure the temp file is removed and the
target is untouched.

A process killed between creating the temp file and the rename leaves the temp
file behind; L{sweep_stale} (run at gateway start-up) removes those of dead writers.

Blocking file I/O: callers on the reactor run these in a thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from typing import Iterator

from openclaw import procs

#: Owner-only: the default, for anything that may hold a secret.
PRIVATE = 0o600

_PREFIX = ".openclaw-"
_SUFFIX = ".tmp"
#: C{.openclaw-<writer pid>-<random>.tmp}; older versions wrote C{.openclaw-<random>.tmp}.
_TEMP_NAME = re.compile(re.escape(_PREFIX) + r"(?:(\d+)-)?[A-Za-z0-9_]+" + re.escape(_SUFFIX) + "$")


def _fsync_directory(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def temp_beside(path: str, data: bytes | str, mode: int) -> Iterator[str]:
    """
    A complete, flushed temp file with C{data} beside C{path}: yields its name;
    it is removed unless the block moved it away, and the directory is flushed.
    A transaction over several files stages each one with it and renames them
    only once all are written and checked.
    """
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    # mkstemp creates the file 0600 with O_EXCL: no moment where others can read it
    fd, tmp = tempfile.mkstemp(prefix=f"{_PREFIX}{os.getpid()}-", suffix=_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _fsync_directory(directory)


@contextlib.contextmanager
def replacing(path: str, data: bytes | str, mode: int = PRIVATE) -> Iterator[str]:
    """
    Write C{data} to a temp file beside C{path} and yield its name; when the block
    ends without an exception the temp file replaces C{path}, otherwise it is removed.
    Missing directories are created owner-only.
    """
    with temp_beside(path, data, mode) as tmp:
        yield tmp
        os.replace(tmp, path)


def write_atomically(path: str, data: bytes | str, mode: int = PRIVATE) -> None:
    """Replace C{path} with C{data} (text is written as UTF-8), file mode C{mode}."""
    with replacing(path, data, mode):
        pass


def create_exclusively(path: str, data: bytes | str, mode: int = PRIVATE) -> None:
    """
    Create C{path} with C{data}, complete or not at all, only if it does not exist:
    of two processes racing to create it, one wins and the other gets
    C{FileExistsError} (and can read the winner's file).
    """
    with temp_beside(path, data, mode) as tmp:
        os.link(tmp, path)


def sweep_stale(directory: str) -> list[str]:
    """
    Remove the temp files that interrupted writers left in C{directory}: only our
    own names, only regular files, and never one whose writer is still alive (a CLI
    edit running while the gateway starts). Returns the names removed.
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return []
    removed = []
    for entry in entries:
        found = _TEMP_NAME.match(entry.name)
        if found is None or not entry.is_file(follow_symlinks=False):
            continue
        writer = found.group(1)
        if writer is not None and procs.alive(int(writer)):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed.append(entry.name)
    return removed


__all__ = ["PRIVATE", "create_exclusively", "replacing", "sweep_stale", "temp_beside", "write_atomically"]
