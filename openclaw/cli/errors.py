"""The one error type a CLI command fails with, and how it reaches the user."""

from __future__ import annotations

from typing import Any


class CliError(Exception):
    """
    A failure the user sees as C{message} (stderr), or in JSON mode as
    C{{"ok": false, "error": {"type": errorType, "message": ..., **extra}}} on stdout.
    """

    def __init__(self, message: str, errorType: str = "cli_error", exitCode: int = 1, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.errorType = errorType
        self.exitCode = exitCode
        self.extra = extra

    def envelope(self) -> dict[str, Any]:
        return {"ok": False, "error": {"type": self.errorType, "message": self.message, **self.extra}}
