"""
The gateway's logging as a service: settings from C{logging.*}, the file and the
console observers on Twisted's global log publisher, and hot reload.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, TextIO

from twisted.application.service import Service
from twisted.logger import ILogObserver, LogPublisher, globalLogPublisher

from openclaw.logs.console import STYLES, ConsoleLogObserver, stream_isatty, use_color
from openclaw.logs.family import LogFamily, log_family
from openclaw.logs.file import DEFAULT_MAX_FILE_BYTES, FileLogObserver
from openclaw.logs.levels import LEVEL_IDS, is_level, normalize_level
from openclaw.paths import expand, profile_name

CLOSE_TIMEOUT = 10.0


@dataclass(frozen=True)
class LogSettings:
    """
    What to log where.  C{file} None means the rolling family of C{profile} under
    C{directory} (default L{openclaw.paths.default_log_dir}); C{consoleColor} None
    means decide from the stream and C{NO_COLOR}/C{FORCE_COLOR}.
    """

    file: str | None = None
    level: str = "info"
    consoleLevel: str = "info"
    maxFileBytes: int = DEFAULT_MAX_FILE_BYTES
    consoleStyle: str = "pretty"
    redactPatterns: tuple[str, ...] | None = None
    profile: str | None = None
    console: bool = True
    consoleStream: TextIO = field(default_factory=lambda: sys.stdout)
    verbose: bool = False
    directory: str | None = None
    consoleColor: bool | None = None

    @property
    def effectiveConsoleLevel(self) -> str:
        """C{consoleLevel}, raised to debug by C{verbose} (the file level never is)."""
        level = normalize_level(self.consoleLevel)
        if self.verbose and LEVEL_IDS.get(level, 7) > LEVEL_IDS["debug"]:
            return "debug"
        return level

    @classmethod
    def fromConfig(
        cls,
        config: Mapping[str, Any] | None,
        profile: str | None = None,
        environ: Mapping[str, str] | None = None,
        verbose: bool = False,
        console: bool = True,
        logLevel: str | None = None,
        consoleStream: TextIO | None = None,
    ) -> "LogSettings":
        """
        Settings from a config's C{logging} section.  C{OPENCLAW_LOG_LEVEL} overrides
        both levels; C{logLevel} (the global C{--log-level}) overrides that.  An
        unset C{consoleStyle} is C{pretty} on a TTY and C{compact} elsewhere.
        Invalid values fall back to the defaults.
        """
        env = os.environ if environ is None else environ
        stream = sys.stdout if consoleStream is None else consoleStream
        section = config.get("logging") if isinstance(config, Mapping) else None
        if not isinstance(section, Mapping):
            section = {}

        level = normalize_level(section.get("level"))
        consoleLevel = normalize_level(section.get("consoleLevel"))
        for override in (env.get("OPENCLAW_LOG_LEVEL"), logLevel):
            if is_level(override):
                level = consoleLevel = normalize_level(override)

        path = section.get("file")
        if isinstance(path, str) and path.strip():
            path = os.path.abspath(expand(path.strip(), env))
        else:
            path = None

        maxBytes = section.get("maxFileBytes")
        if isinstance(maxBytes, bool) or not isinstance(maxBytes, (int, float)) or maxBytes <= 0:
            maxBytes = DEFAULT_MAX_FILE_BYTES

        style = section.get("consoleStyle")
        if style not in STYLES:
            style = "pretty" if stream_isatty(stream) else "compact"

        patterns = section.get("redactPatterns")
        if isinstance(patterns, str):
            patterns = [patterns]
        if isinstance(patterns, (list, tuple)):
            patterns = tuple(p for p in patterns if isinstance(p, str) and p) or None
        else:
            patterns = None

        return cls(
            file=path,
            level=level,
            consoleLevel=consoleLevel,
            maxFileBytes=int(maxBytes),
            consoleStyle=style,
            redactPatterns=patterns,
            profile=profile if profile is not None else profile_name(env),
            console=console,
            consoleStream=stream,
            verbose=verbose,
        )


def _fileOptions(settings: LogSettings) -> dict:
    """The file observer's settings, shared by start and L{LogSink.apply}."""
    return {
        "profile": settings.profile,
        "directory": settings.directory,
        "level": settings.level,
        "maxFileBytes": settings.maxFileBytes,
        "redactPatterns": settings.redactPatterns,
    }


class LogSink(Service):
    """
    Adds a L{FileLogObserver} and (when C{settings.console}) a
    L{ConsoleLogObserver} to C{publisher} while running.

    @param publisher: default Twisted's C{globalLogPublisher}.
    @param today: the local date, for the rolling file name.
    """

    def __init__(
        self,
        settings: LogSettings,
        *,
        publisher: LogPublisher | None = None,
        today: Callable[[], date] = date.today,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._settings = settings
        self._publisher = globalLogPublisher if publisher is None else publisher
        self._today = today
        self._environ = os.environ if environ is None else environ
        self.fileObserver: FileLogObserver | None = None
        self.consoleObserver: ConsoleLogObserver | None = None

    @property
    def settings(self) -> LogSettings:
        return self._settings

    def _color(self, settings: LogSettings) -> bool:
        if settings.consoleColor is not None:
            return settings.consoleColor
        return use_color(stream_isatty(settings.consoleStream), self._environ)

    def _newConsole(self, settings: LogSettings) -> ConsoleLogObserver:
        return ConsoleLogObserver(
            settings.consoleStream,
            level=settings.effectiveConsoleLevel,
            style=settings.consoleStyle,
            color=self._color(settings),
            redactPatterns=settings.redactPatterns,
        )

    def _add(self, observer: ILogObserver) -> None:
        self._publisher.addObserver(observer)

    def _remove(self, observer: ILogObserver | None) -> None:
        if observer is not None:
            self._publisher.removeObserver(observer)

    def startService(self) -> None:
        settings = self._settings
        self.fileObserver = FileLogObserver(
            settings.file, today=self._today, environ=self._environ, **_fileOptions(settings)
        )
        self._add(self.fileObserver)
        if settings.console:
            self.consoleObserver = self._newConsole(settings)
            self._add(self.consoleObserver)
        super().startService()

    def stopService(self) -> None:
        """Detach the observers and return once the file writer has written everything."""
        super().stopService()
        self._remove(self.consoleObserver)
        self.consoleObserver = None
        fileObserver, self.fileObserver = self.fileObserver, None
        if fileObserver is not None:
            self._remove(fileObserver)
            fileObserver.close(CLOSE_TIMEOUT)

    def apply(self, settings: LogSettings) -> None:
        """Use C{settings} from the next record on (hot reload)."""
        self._settings = settings
        if not self.running:
            return
        if self.fileObserver is not None:
            self.fileObserver.configure(path=settings.file, **_fileOptions(settings))
        if settings.console and self.consoleObserver is None:
            self.consoleObserver = self._newConsole(settings)
            self._add(self.consoleObserver)
        elif not settings.console and self.consoleObserver is not None:
            self._remove(self.consoleObserver)
            self.consoleObserver = None
        elif self.consoleObserver is not None:
            self.consoleObserver.configure(
                level=settings.effectiveConsoleLevel,
                style=settings.consoleStyle,
                color=self._color(settings),
                redactPatterns=settings.redactPatterns,
                stream=settings.consoleStream,
            )

    def family(self) -> LogFamily:
        """The file family the settings name (what C{logs.tail} reads from)."""
        settings = self._settings
        return log_family(
            settings.profile, settings.file, directory=settings.directory, environ=self._environ
        )

    def currentPath(self) -> str:
        """The file being written now (today's file of a rolling family)."""
        if self.fileObserver is not None:
            return self.fileObserver.currentPath()
        return self.family().pathFor(self._today())

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every file line logged so far is written; False on timeout."""
        if self.fileObserver is None:
            return True
        return self.fileObserver.flush(timeout)


__all__ = ["LogSettings", "LogSink"]
