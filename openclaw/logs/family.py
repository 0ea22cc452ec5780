"""
Which file a log line goes to, and which file a reader should open.

A family is either one fixed file (C{logging.file}) or the rolling default:
C{<dir>/openclaw[-<profile>]-YYYY-MM-DD.log}, one file per local date.  Size rotation
renames a file to C{<stem>.1.log} … C{<stem>.5.log}; those archives belong to it.
"""

from __future__ import annotations

import os
import re
import time as _time
from dataclasses import dataclass
from datetime import date
from typing import Mapping

from openclaw.paths import default_log_dir, expand, log_file_name

MAX_ARCHIVES = 5
RETAIN_SECONDS = 24 * 60 * 60
_STAMP = "2000-01-01"


def archive_path(path: str, index: int) -> str:
    """C{/x/openclaw-2026-11-24.log} → C{/x/openclaw-2026-11-24.<index>.log}."""
    root, ext = os.path.splitext(path)
    return f"{root}.{index}{ext}"


@dataclass(frozen=True)
class LogFamily:
    directory: str
    profile: str | None = None
    fixed: str | None = None

    @property
    def rolling(self) -> bool:
        return self.fixed is None

    def pathFor(self, day: date) -> str:
        """The file a line written on local date C{day} goes to."""
        if self.fixed is not None:
            return self.fixed
        return os.path.join(self.directory, log_file_name(self.profile, day))

    def _pattern(self) -> re.Pattern[str]:
        prefix, suffix = log_file_name(self.profile, date.fromisoformat(_STAMP)).split(_STAMP)
        return re.compile(
            "^" + re.escape(prefix) + r"(\d{4}-\d{2}-\d{2})(\.[1-9]\d*)?" + re.escape(suffix) + "$"
        )

    def dated(self) -> list[str]:
        """The family's current dated files (no archives), oldest first."""
        if self.fixed is not None:
            return [self.fixed] if os.path.exists(self.fixed) else []
        pattern = self._pattern()
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        found = sorted(
            name for name in names if (m := pattern.match(name)) is not None and m.group(2) is None
        )
        return [os.path.join(self.directory, name) for name in found]

    def newest(self, today: date | None = None) -> str:
        """
        The file a reader should tail: the fixed file, or the newest dated file of the
        rolling family (today's path when there is none yet).
        """
        if self.fixed is not None:
            return self.fixed
        files = self.dated()
        if files:
            return files[-1]
        return self.pathFor(today or date.today())

    def prune(self, keep: str, maxAge: float = RETAIN_SECONDS, now: float | None = None) -> list[str]:
        """
        Remove rolling files (and their archives) not modified for C{maxAge} seconds,
        except C{keep}; a fixed family is never pruned.  Returns what was removed.
        """
        if self.fixed is not None:
            return []
        limit = (_time.time() if now is None else now) - maxAge
        pattern = self._pattern()
        removed = []
        try:
            names = os.listdir(self.directory)
        except OSError:
            return []
        for name in names:
            if not pattern.match(name):
                continue
            path = os.path.join(self.directory, name)
            if path == keep:
                continue
            try:
                if os.stat(path).st_mtime < limit:
                    os.unlink(path)
                    removed.append(path)
            except OSError:
                continue
        return removed


def log_family(
    profile: str | None,
    logging_file_setting: str | None,
    *,
    directory: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> LogFamily:
    """
    The log family of a gateway: C{logging.file} when set (C{~} expanded against
    the OpenClaw home), else the rolling family for C{profile} under C{directory}
    (default L{default_log_dir} of C{environ}, the process environment when None).
    """
    env = environ if environ is not None else os.environ
    if logging_file_setting:
        path = os.path.abspath(os.path.expanduser(expand(logging_file_setting, env)))
        return LogFamily(os.path.dirname(path), profile, path)
    return LogFamily(directory or default_log_dir(env), profile, None)


__all__ = ["MAX_ARCHIVES", "LogFamily", "archive_path", "log_family"]
