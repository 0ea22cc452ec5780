"""
OpenClaw's log levels, tslog's numeric ids, and how Twisted's levels map onto them.

Levels, most to least severe: C{fatal error warn info debug trace}; C{silent} lets
nothing through.  Twisted has no trace level: a C{trace} threshold lets debug through,
like C{debug} does.
"""

from __future__ import annotations

from typing import Any, Mapping

from twisted.logger import LogLevel

LEVELS = ("silent", "fatal", "error", "warn", "info", "debug", "trace")

LEVEL_IDS = {"trace": 1, "debug": 2, "info": 3, "warn": 4, "error": 5, "fatal": 6}
_SILENT_ID = 7

_ALIASES = {"warning": "warn", "critical": "fatal", "err": "error", "off": "silent", "none": "silent"}

_FROM_TWISTED = {
    LogLevel.debug: "debug",
    LogLevel.info: "info",
    LogLevel.warn: "warn",
    LogLevel.error: "error",
    LogLevel.critical: "fatal",
}


def normalize_level(value: Any, default: str = "info") -> str:
    """A valid level name for C{value}, or C{default} when it is not one."""
    if isinstance(value, str):
        name = value.strip().lower()
        name = _ALIASES.get(name, name)
        if name in LEVELS:
            return name
    return default


def is_level(value: Any) -> bool:
    return normalize_level(value, "") != ""


def threshold(level: str) -> int:
    """The smallest tslog id a record needs to pass a C{level} filter."""
    return LEVEL_IDS.get(normalize_level(level), _SILENT_ID)


def event_level(event: Mapping[str, Any]) -> str:
    """
    The OpenClaw level name of a Twisted event (info when it has none). Twisted's
    own informational C{log.msg} lines ("... starting on 18789", "(TCP Port 18789
    Closed)") count as debug: they are not the gateway's to announce at info.
    """
    level = event.get("log_level")
    if level is LogLevel.info and event.get("log_namespace") == "log_legacy":
        return "debug"
    return _FROM_TWISTED.get(level, "info")  # type: ignore[arg-type]


def allows(level: str, event: Mapping[str, Any]) -> bool:
    """Whether a filter at C{level} lets C{event} through."""
    return LEVEL_IDS[event_level(event)] >= threshold(level)


__all__ = ["LEVELS", "LEVEL_IDS", "allows", "event_level", "is_level", "normalize_level", "threshold"]
