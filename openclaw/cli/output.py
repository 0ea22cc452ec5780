"""What the CLI prints: one JSON document, a failure (text or envelope), colour on a TTY."""

from __future__ import annotations

import os
import sys
from typing import Any, Mapping

import orjson

from openclaw.cli.errors import CliError


def print_json(document: Any) -> None:
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def fail(error: CliError, asJson: bool) -> int:
    """Print C{error} (the envelope on stdout in JSON mode, else its message on stderr); its exit code."""
    if asJson:
        print_json(error.envelope())
    else:
        sys.stderr.write(error.message + "\n")
    return error.exitCode


class Style:
    """ANSI colour on a TTY only; C{NO_COLOR} turns it off, C{FORCE_COLOR} on."""

    def __init__(self, stream: Any = None, environ: Mapping[str, str] = os.environ) -> None:
        stream = sys.stdout if stream is None else stream
        if environ.get("NO_COLOR"):
            self.enabled = False
        elif environ.get("FORCE_COLOR") not in (None, "", "0"):
            self.enabled = True
        else:
            self.enabled = bool(getattr(stream, "isatty", lambda: False)())

    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def ok(self, text: str) -> str:
        return self._paint("32", text)

    def warn(self, text: str) -> str:
        return self._paint("33", text)

    def error(self, text: str) -> str:
        return self._paint("31", text)

    def muted(self, text: str) -> str:
        return self._paint("2", text)

    def accent(self, text: str) -> str:
        return self._paint("36", text)

    def bold(self, text: str) -> str:
        return self._paint("1", text)
