"""
Other processes of this user, by pid: alive or not, and their command line.

Linux reads C{/proc}; elsewhere C{kill(pid, 0)} answers liveness and the command
line is unknown.
"""

from __future__ import annotations

import os

from openclaw.logs.redact import redact


def alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped by its parent."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False
    except OSError:
        return False
    try:  # no /proc (macOS)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def arguments(pid: int) -> list[str] | None:
    """The process's argv, or None when it cannot be read (no C{/proc}, not ours)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0")[:-1]] if raw else None


def command_line(pid: int) -> str:
    """
    The process's arguments joined by spaces for display (messages, logs, status),
    secrets such as C{--token x} masked; C{"?"} when they cannot be read.
    """
    args = arguments(pid)
    return redact(" ".join(args).strip()) if args else "?"
