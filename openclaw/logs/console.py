"""
The console log, for people: C{HH:MM:SS LEVEL [subsystem] message}.

Styles: C{pretty} (with the time), C{compact} (without), C{json} (the file's JSON
record).  Warn, error and fatal lines carry the event's other fields as a
C{key=value …} tail.  Everything is redacted.
"""

from __future__ import annotations

import re
import string
import zlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Mapping, Sequence, TextIO

import orjson
from twisted.logger import ILogObserver
from zope.interface import implementer

from openclaw.logs.levels import allows, event_level, normalize_level
from openclaw.logs.record import build_record, event_subsystem, event_text, event_time, record_line
from openclaw.logs.redact import redact

STYLES = ("pretty", "compact", "json")
TAIL_LIMIT = 2048
_DROPPED_PREFIXES = ("gateway/", "channels/", "providers/")
KNOWN_CHANNELS = frozenset(
    {
        "whatsapp",
        "telegram",
        "discord",
        "slack",
        "signal",
        "imessage",
        "bluebubbles",
        "googlechat",
        "msteams",
        "matrix",
        "mattermost",
        "line",
        "irc",
        "nostr",
        "zalo",
        "feishu",
        "webchat",
    }
)
# Keys of Twisted's legacy events that are not caller fields.
_RESERVED = frozenset({"message", "format", "isError", "system", "time", "failure", "why", "printed"})

RESET = "\x1b[0m"
DIM = "\x1b[90m"
LEVEL_COLORS = {
    "trace": "\x1b[90m",
    "debug": "\x1b[90m",
    "info": "\x1b[36m",
    "warn": "\x1b[33m",
    "error": "\x1b[31m",
    "fatal": "\x1b[1;31m",
}
MESSAGE_COLORS = {"warn": "\x1b[33m", "error": "\x1b[31m", "fatal": "\x1b[1;31m"}
SUBSYSTEM_COLORS = ("\x1b[32m", "\x1b[34m", "\x1b[35m", "\x1b[36m", "\x1b[92m", "\x1b[94m", "\x1b[95m")


def use_color(isatty: bool, environ: Mapping[str, str]) -> bool:
    """
    Colour when C{FORCE_COLOR} is set (and not C{0}/C{false}), else when the stream
    is a TTY and C{NO_COLOR} is unset.
    """
    force = environ.get("FORCE_COLOR")
    if force is not None and force.strip().lower() not in ("0", "false"):
        return True
    if force is not None:
        return False
    if environ.get("NO_COLOR"):
        return False
    return bool(isatty)


def stream_isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


def short_subsystem(subsystem: str) -> str:
    """
    C{gateway/reload} → C{reload}, C{channels/turn/execution} → C{turn/execution},
    C{channels/telegram/bot} → C{telegram}; C{gateway} stays C{gateway}.
    """
    name = subsystem
    for prefix in _DROPPED_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            name = name[len(prefix) :]
            break
    parts = [p for p in name.split("/") if p]
    if not parts:
        return subsystem
    if parts[0] in KNOWN_CHANNELS:
        return parts[0]
    return "/".join(parts[-2:])


def _format_fields(event: Mapping[str, Any]) -> set[str]:
    fmt = event.get("log_format")
    if not isinstance(fmt, str):
        return set()
    names = set()
    try:
        for _, field, _, _ in string.Formatter().parse(fmt):
            if field:
                names.add(re.split(r"[.\[(]", field, maxsplit=1)[0])
    except ValueError:
        pass
    return names


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        if value and not any(c.isspace() or c in '="' for c in value):
            return value
        return orjson.dumps(value).decode()
    if value is None or isinstance(value, (bool, int, float)):
        return orjson.dumps(value).decode()
    try:
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except Exception:
        return repr(value)


def fields_tail(
    event: Mapping[str, Any], patterns: Sequence[str] | None = None, limit: int = TAIL_LIMIT
) -> str:
    """
    The event's own fields (not C{_*}, not C{log_*}, not those its format already
    shows) as C{key=value …}, redacted and cut to C{limit} characters.
    """
    used = _format_fields(event)
    parts = []
    for key, value in event.items():
        if not isinstance(key, str) or key.startswith(("_", "log_")):
            continue
        if key in used or key in _RESERVED:
            continue
        parts.append(f"{key}={_value_text(value)}")
    tail = redact(" ".join(parts), patterns)
    if len(tail) > limit:
        tail = tail[: limit - 1] + "\u2026"
    return tail


@dataclass(frozen=True)
class _Config:
    level: str
    style: str
    color: bool
    patterns: tuple[str, ...] | None


@implementer(ILogObserver)
class ConsoleLogObserver:
    """
    Write events at or above C{level} to a text stream.

    @param color: whether to use ANSI colours; see L{use_color}.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        level: str = "info",
        style: str = "pretty",
        color: bool = False,
        redactPatterns: Sequence[str] | None = None,
    ) -> None:
        self._stream = stream
        self._config = _Config(
            normalize_level(level),
            style if style in STYLES else "pretty",
            bool(color),
            tuple(redactPatterns) if redactPatterns else None,
        )

    @property
    def level(self) -> str:
        return self._config.level

    @property
    def style(self) -> str:
        return self._config.style

    @property
    def color(self) -> bool:
        return self._config.color

    @property
    def stream(self) -> TextIO:
        return self._stream

    def configure(
        self,
        *,
        level: str | object = ...,
        style: str | object = ...,
        color: bool | object = ...,
        redactPatterns: Sequence[str] | None | object = ...,
        stream: TextIO | object = ...,
    ) -> None:
        """Change settings; the next record uses them.  Omitted ones stay."""
        config = self._config
        if level is not ...:
            config = replace(config, level=normalize_level(level))
        if style is not ...:
            config = replace(config, style=style if style in STYLES else "pretty")
        if color is not ...:
            config = replace(config, color=bool(color))
        if redactPatterns is not ...:
            config = replace(
                config,
                patterns=tuple(redactPatterns) if redactPatterns else None,  # type: ignore[arg-type]
            )
        if stream is not ...:
            self._stream = stream  # type: ignore[assignment]
        self._config = config

    def format(self, event: Mapping[str, Any]) -> str:
        """The console text of C{event} (no newline), ignoring the level filter."""
        config = self._config
        if config.style == "json":
            return record_line(build_record(event, config.patterns)).decode().rstrip("\n")
        level = event_level(event)
        subsystem = short_subsystem(event_subsystem(event))
        message = event_text(event, config.patterns)
        tail = fields_tail(event, config.patterns) if level in ("warn", "error", "fatal") else ""
        stamp = datetime.fromtimestamp(event_time(event)).strftime("%H:%M:%S")
        label = level.upper()
        if config.color:
            subColor = SUBSYSTEM_COLORS[zlib.crc32(subsystem.encode()) % len(SUBSYSTEM_COLORS)]
            msgColor = MESSAGE_COLORS.get(level)
            parts = [
                f"{LEVEL_COLORS[level]}{label}{RESET}",
                f"{subColor}[{subsystem}]{RESET}",
                f"{msgColor}{message}{RESET}" if msgColor else message,
            ]
            if tail:
                parts.append(f"{DIM}{tail}{RESET}")
            if config.style == "pretty":
                parts.insert(0, f"{DIM}{stamp}{RESET}")
        else:
            parts = [label, f"[{subsystem}]", message]
            if tail:
                parts.append(tail)
            if config.style == "pretty":
                parts.insert(0, stamp)
        return " ".join(parts)

    def __call__(self, event: Mapping[str, Any]) -> None:
        try:
            if not allows(self._config.level, event):
                return
            text = self.format(event)
            self._stream.write(text + "\n")
            self._stream.flush()
        except Exception:
            return


__all__ = ["ConsoleLogObserver", "fields_tail", "short_subsystem", "stream_isatty", "use_color"]
