"""
Incremental newline-delimited JSON parser: bytes in (split anywhere), one decoded
value per complete line out. Pure; no I/O.
"""

from __future__ import annotations

from typing import Any

import orjson


class NDJSONError(ValueError):
    """A line that is not JSON."""


class NDJSONParser:
    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[Any]:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        return [self._decode(line) for line in lines if line.strip()]

    def finish(self) -> list[Any]:
        """The last line when the body ended without a newline."""
        rest, self._buffer = self._buffer, b""
        return [self._decode(rest)] if rest.strip() else []

    @staticmethod
    def _decode(line: bytes) -> Any:
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            raise NDJSONError(f"not a JSON line ({len(line)} bytes)") from None
