"""
Incremental Server-Sent Events parser: bytes in (split anywhere, even inside a
UTF-8 sequence or a CRLF), complete events out. Pure; no I/O.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass


@dataclass(frozen=True)
class SSEEvent:
    event: str
    data: str


class SSEParser:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._event = ""
        self._data: list[str] = []
        self._pendingCR = False

    def feed(self, data: bytes) -> list[SSEEvent]:
        text = self._decoder.decode(data)
        if not text:
            return []
        if self._pendingCR and text[0] == "\n":
            text = text[1:]  # the LF of a CRLF split across chunks
        self._pendingCR = text.endswith("\r")
        self._buffer += text
        *lines, self._buffer = self._buffer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        events = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> SSEEvent | None:
        if not line:
            if not self._data:
                self._event = ""
                return None
            event = SSEEvent(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None
