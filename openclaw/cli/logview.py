"""
Reading OpenClaw's JSON log lines for people and programs: what C{openclaw logs}
prints for each line a C{logs.tail} (or the local file) returned.

A line is a tslog record (ours or the Node gateway's); the fields come from::

    level      _meta.logLevelName (lower-cased), else a top-level "level"
    time       "time", else _meta.date
    subsystem  _meta.name or "0" when it holds JSON bindings {"subsystem": ...}
    module, plugin   the same bindings
    message    "message", else the positional keys "0", "1", ... joined
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson

from openclaw.cli.output import Style

_BINDING_KEYS = ("subsystem", "module", "plugin")


@dataclass(frozen=True)
class LogEntry:
    raw: str
    time: str = ""
    level: str = ""
    subsystem: str = ""
    module: str = ""
    plugin: str = ""
    message: str = ""

    def toJson(self) -> dict[str, Any]:
        """The C{{"type": "log", ...}} line of C{openclaw logs --json}."""
        out: dict[str, Any] = {"type": "log", "time": self.time, "level": self.level}
        for key in _BINDING_KEYS:
            value = getattr(self, key)
            if value:
                out[key] = value
        out["message"] = self.message
        out["raw"] = self.raw
        return out


def _bindings(value: Any) -> dict[str, Any] | None:
    """The bindings object a logger name or C{"0"} holds, if it is one."""
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _positional(record: dict[str, Any], skipFirst: bool) -> str:
    parts = []
    index = 1 if skipFirst else 0
    while str(index) in record:
        value = record[str(index)]
        parts.append(value if isinstance(value, str) else orjson.dumps(value).decode())
        index += 1
    return " ".join(parts)


def parse_line(line: str) -> LogEntry | None:
    """The entry of one log line, or None when it is not a JSON log record."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    meta = record.get("_meta") if isinstance(record.get("_meta"), dict) else {}
    bindings = _bindings(meta.get("name")) or _bindings(record.get("0")) or {}
    level = meta.get("logLevelName") or record.get("level") or ""
    message = record.get("message")
    if not isinstance(message, str):
        message = _positional(record, skipFirst=_bindings(record.get("0")) is not None)
    return LogEntry(
        raw=line,
        time=str(record.get("time") or meta.get("date") or ""),
        level=str(level).lower(),
        message=message,
        **{key: str(bindings[key]) for key in _BINDING_KEYS if isinstance(bindings.get(key), str)},
    )


def format_time(value: str, utc: bool) -> str:
    """C{value} in local time with its offset (default) or in UTC with C{Z}; unparseable stays as is."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc) if utc else moment.astimezone()
    millis = f"{moment.microsecond // 1000:03d}"
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + millis
    if utc:
        return stamp + "Z"
    offset = moment.strftime("%z")
    return f"{stamp}{offset[:3]}:{offset[3:]}"


_LEVEL_STYLE = {"fatal": "error", "error": "error", "warn": "warn", "debug": "muted", "trace": "muted"}


def format_entry(entry: LogEntry, style: Style, utc: bool) -> str:
    """C{<time> <level> <subsystem> <message>} (the subsystem only when there is one)."""
    level = entry.level
    painter = _LEVEL_STYLE.get(level)
    shown = getattr(style, painter)(level) if painter else level
    parts = [format_time(entry.time, utc), shown]
    if entry.subsystem:
        parts.append(style.muted(entry.subsystem))
    parts.append(entry.message)
    return " ".join(part for part in parts if part)
