"""
The cursor-based tail behind C{logs.tail}: read the end of a JSON-lines log file,
or what was appended since a byte offset the reader got from the previous call.

Blocking file I/O: the gateway runs L{read_tail} in a thread.

    first = read_tail(path, limit=200)               # the last 200 complete lines
    later = read_tail(path, cursor=first["cursor"])  # only what came since

A cursor beyond the end of the file means the file was replaced or rotated: the
reader gets the tail again with C{reset: true}.  More than C{maxBytes} pending
since the cursor: it jumps to the tail too, with C{truncated} and C{skippedBytes}.
Every line is redacted again before it leaves.
"""

from __future__ import annotations

import os
from typing import Any, Sequence

from openclaw.logs.redact import redact

DEFAULT_LIMIT = 500
MAX_LIMIT = 5000
DEFAULT_MAX_BYTES = 250000
MAX_MAX_BYTES = 1000000


def _complete_lines(data: bytes, dropPartialFirst: bool) -> tuple[list[bytes], int, int]:
    """
    The complete lines of C{data} (without newlines), the length of the partial
    first line dropped, and the offset just after the last complete line; an
    unfinished last line is left for the next call.
    """
    skip = 0
    if dropPartialFirst:
        newline = data.find(b"\n")
        skip = len(data) if newline < 0 else newline + 1
    end = data.rfind(b"\n") + 1
    if end <= skip:
        return [], skip, skip
    return data[skip : end - 1].split(b"\n"), skip, end


def _read(handle: Any, start: int, size: int) -> tuple[bytes, bool]:
    """
    The bytes from C{start} to C{size}, and whether they begin inside a line (the
    byte before C{start}, read along, is not a newline).
    """
    lead = 1 if start > 0 else 0
    handle.seek(start - lead)
    chunk = handle.read(size - start + lead)
    return chunk[lead:], lead == 1 and chunk[:1] != b"\n"


def read_tail(
    path: str,
    cursor: int | None = None,
    limit: int = DEFAULT_LIMIT,
    maxBytes: int = DEFAULT_MAX_BYTES,
    patterns: Sequence[str] | None = None,
) -> dict[str, Any]:
    """
    The C{logs.tail} result for C{path}.  A missing file is an empty result; any
    other read error is raised as L{OSError}.
    """
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return {
            "file": path,
            "cursor": 0,
            "size": 0,
            "lines": [],
            "truncated": False,
            "reset": cursor is not None and cursor > 0,
        }
    reset = truncated = False
    skippedFrom = None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if cursor is not None and cursor > size:
            reset, cursor = True, None
        elif cursor is not None and size - cursor > maxBytes:
            reset, truncated, skippedFrom, cursor = True, True, cursor, None
        if cursor is None:
            start = max(0, size - maxBytes)
            data, partial = _read(handle, start, size)
        else:
            start = cursor
            handle.seek(start)
            data, partial = handle.read(size - start), False
    raw, dropped, consumed = _complete_lines(data, partial)
    lines = [redact(line.decode("utf-8", "replace").rstrip("\r"), patterns) for line in raw]
    lines = [line for line in lines if line.strip()]
    if len(lines) > limit:
        lines, truncated = lines[-limit:], True
    result: dict[str, Any] = {
        "file": path,
        "cursor": start + consumed,
        "size": size,
        "lines": lines,
        "truncated": truncated,
        "reset": reset,
    }
    if skippedFrom is not None:
        result["skippedBytes"] = start + dropped - skippedFrom
    return result


__all__ = ["DEFAULT_LIMIT", "DEFAULT_MAX_BYTES", "MAX_LIMIT", "MAX_MAX_BYTES", "read_tail"]
