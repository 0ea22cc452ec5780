"""
Turn a Twisted log event into OpenClaw's tslog-shaped JSON record.

The record has the keys the real OpenClaw CLI reads from a log line::

    {"0": "{\\"subsystem\\":\\"gateway/ws\\"}", "1": "<message>",
     "_meta": {"runtime": "python", "runtimeVersion": "3.11.7", "hostname": "vm",
               "date": "2026-11-24T02:01:18.192Z", "logLevelId": 4, "logLevelName": "WARN",
               "name": "{\\"subsystem\\":\\"gateway/ws\\"}", "parentNames": ["openclaw"]},
     "time": "2026-11-24T03:01:18.192+01:00", "hostname": "vm", "message": "<message>"}

The event's C{log_namespace} is the subsystem.
"""

from __future__ import annotations

import platform
import socket
import time as _time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Mapping, Sequence

import orjson
from twisted.logger import formatEvent

from openclaw.logs.levels import LEVEL_IDS, event_level
from openclaw.logs.redact import redact

RUNTIME_VERSION = platform.python_version()
PARENT_NAMES = ("openclaw",)
DEFAULT_SUBSYSTEM = "openclaw"
# Optional top-level keys OpenClaw readers understand, copied when the event has them.
CONTEXT_KEYS = ("agent_id", "session_id", "channel")


@lru_cache(maxsize=1)
def hostname() -> str:
    try:
        return socket.gethostname() or "localhost"
    except OSError:
        return "localhost"


@lru_cache(maxsize=256)
def bindings(subsystem: str) -> str:
    """The JSON string of a subsystem logger's bindings, e.g. C{{"subsystem":"gateway"}}."""
    return orjson.dumps({"subsystem": subsystem}).decode()


def event_subsystem(event: Mapping[str, Any]) -> str:
    namespace = event.get("log_namespace")
    return namespace if isinstance(namespace, str) and namespace else DEFAULT_SUBSYSTEM


def event_time(event: Mapping[str, Any]) -> float:
    value = event.get("log_time")
    return float(value) if isinstance(value, (int, float)) else _time.time()


def event_text(event: Mapping[str, Any], patterns: Sequence[str] | None = None) -> str:
    """The formatted, redacted message of C{event}, with a failure's traceback appended."""
    text = formatEvent(event)  # type: ignore[arg-type]
    failure = event.get("log_failure")
    if failure is not None:
        try:
            traceback = failure.getTraceback()
        except Exception:
            traceback = repr(failure)
        text = f"{text}\n{traceback}".rstrip("\n") if text else traceback.rstrip("\n")
    return redact(text, patterns)


def utc_iso(when: float) -> str:
    """C{2026-11-24T02:01:18.192Z}."""
    moment = datetime.fromtimestamp(when, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def local_iso(when: float) -> str:
    """C{2026-11-24T03:01:18.192+01:00}: the host's local time with its offset."""
    moment = datetime.fromtimestamp(when).astimezone()
    offset = moment.strftime("%z") or "+0000"
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{moment.microsecond // 1000:03d}"
        + f"{offset[:3]}:{offset[3:5]}"
    )


def build_record(
    event: Mapping[str, Any], patterns: Sequence[str] | None = None
) -> dict[str, Any]:
    """The JSON-ready record of C{event}; every text in it is redacted."""
    level = event_level(event)
    when = event_time(event)
    name = bindings(event_subsystem(event))
    message = event_text(event, patterns)
    host = hostname()
    record: dict[str, Any] = {
        "0": name,
        "1": message,
        "_meta": {
            "runtime": "python",
            "runtimeVersion": RUNTIME_VERSION,
            "hostname": host,
            "date": utc_iso(when),
            "logLevelId": LEVEL_IDS[level],
            "logLevelName": level.upper(),
            "name": name,
            "parentNames": list(PARENT_NAMES),
        },
        "time": local_iso(when),
        "hostname": host,
        "message": message,
    }
    for key in CONTEXT_KEYS:
        value = event.get(key)
        if isinstance(value, str) and value:
            record[key] = redact(value, patterns)
    return record


def record_line(record: Mapping[str, Any]) -> bytes:
    """One JSON line (with its newline) for C{record}."""
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE, default=str)


__all__ = [
    "bindings",
    "build_record",
    "event_subsystem",
    "event_text",
    "event_time",
    "hostname",
    "local_iso",
    "record_line",
    "utc_iso",
]
