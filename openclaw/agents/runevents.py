"""
What one run tells its watchers: C{agent} events with the run's own C{seq} (1, 2,
3 … per run, unrelated to a connection's frame C{seq}), and their C{chat}
projection for UI clients.

The projection coalesces assistant text: a C{chat} delta goes out at most every
L{CHAT_DELTA_INTERVAL} seconds (on the injected clock) and carries the text
that arrived since the previous one (C{deltaText}) with the whole message so
far; a delta reuses the C{seq} of the newest C{agent} event it covers, and the
terminal C{final} flushes what is pending first and carries that same C{seq}.
"""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.interfaces import IReactorTime

#: C{publish(event, payload, dropIfSlow)}: hand an event to every client that may see it.
Publish = Callable[..., None]

#: A reply that is only this token is silent: no message in the final event, no payload.
SILENT_REPLY = "NO_REPLY"

#: Chat deltas are paced this far apart (seconds), the text between them coalesced.
CHAT_DELTA_INTERVAL = 0.075


def _ms(clock: IReactorTime) -> int:
    return int(clock.seconds() * 1000)


def assistant_message(text: str, timestamp: int) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "text", "text": text}], "timestamp": timestamp}


class RunEvents:
    """The C{agent} and C{chat} events of one run, in order, with its C{seq}."""

    def __init__(
        self, runId: str, sessionKey: str, agentId: str, publish: Publish, clock: IReactorTime, isHeartbeat: bool | None
    ) -> None:
        self.runId = runId
        self.sessionKey = sessionKey
        self.agentId = agentId
        self._publish = publish
        self._clock = clock
        self._isHeartbeat = isHeartbeat
        self.seq = 0
        self.text = ""
        # the chat projection
        self._pending = ""
        self._pendingSeq = 0
        self._lastDeltaSeq: int | None = None
        self._lastDeltaAt: float | None = None
        self._flushCall: Any = None
        self.finished = False

    # agent ----------------------------------------------------------------------

    def agent(self, stream: str, data: dict[str, Any]) -> int:
        """Publish one C{agent} event; returns its run C{seq}."""
        self.seq += 1
        payload: dict[str, Any] = {"runId": self.runId, "seq": self.seq, "stream": stream, "ts": _ms(self._clock), "data": data}
        if self._isHeartbeat is not None:
            payload["isHeartbeat"] = self._isHeartbeat
        self._publish("agent", payload, False)
        return self.seq

    def lifecycle(self, phase: str, **data: Any) -> int:
        return self.agent("lifecycle", {"phase": phase, **data})

    def status(self, phase: str) -> None:
        """A preparation phase: C{agent run_status} and the transient C{chat status} with the same seq."""
        seq = self.agent("run_status", {"phase": phase})
        self._chat("status", seq, {"phase": phase}, dropIfSlow=True)

    def assistant(self, delta: str, itemId: str) -> None:
        """New assistant text: an C{agent} event now, the C{chat} delta when its pacing allows."""
        if not delta:
            return
        self.text += delta
        seq = self.agent("assistant", {"text": self.text, "delta": delta, "itemId": itemId})
        self._pending += delta
        self._pendingSeq = seq
        if self._flushCall is not None:
            return
        now = self._clock.seconds()
        wait = 0.0 if self._lastDeltaAt is None else self._lastDeltaAt + CHAT_DELTA_INTERVAL - now
        if wait <= 0:
            self._flush()
        else:
            self._flushCall = self._clock.callLater(wait, self._flush)

    # chat -----------------------------------------------------------------------

    def _chat(self, state: str, seq: int, extra: dict[str, Any], dropIfSlow: bool = False) -> None:
        payload = {"runId": self.runId, "sessionKey": self.sessionKey, "agentId": self.agentId, "seq": seq, "state": state}
        payload.update(extra)
        self._publish("chat", payload, dropIfSlow)

    def _flush(self) -> None:
        self._flushCall = None
        if not self._pending:
            return
        delta, self._pending = self._pending, ""
        self._lastDeltaSeq = self._pendingSeq
        self._lastDeltaAt = self._clock.seconds()
        message = assistant_message(self.text, _ms(self._clock))
        self._chat("delta", self._pendingSeq, {"deltaText": delta, "message": message}, dropIfSlow=True)

    def _terminal(self) -> None:
        """Before a terminal chat event: pending text goes out, the pacing timer stops."""
        if self._flushCall is not None:
            self._flushCall.cancel()
            self._flushCall = None
        self._flush()
        self.finished = True

    def final(self, stopReason: str | None, usage: dict[str, Any] | None = None) -> None:
        """The reply is complete: last delta, then C{final} with that delta's seq."""
        self._terminal()
        extra: dict[str, Any] = {}
        if stopReason:
            extra["stopReason"] = stopReason
        if self.text and self.text.strip() != SILENT_REPLY:
            extra["message"] = assistant_message(self.text, _ms(self._clock))
        if usage is not None:
            extra["usage"] = usage
        self._chat("final", self.seq if self._lastDeltaSeq is None else self._lastDeltaSeq, extra)

    def aborted(self, seq: int, stopReason: str) -> None:
        """The run was stopped: the partial message, if any, with the seq of the terminal agent event."""
        self._terminal()
        extra: dict[str, Any] = {"stopReason": stopReason}
        if self.text:
            extra["message"] = assistant_message(self.text, _ms(self._clock))
        self._chat("aborted", seq, extra)

    def error(self, seq: int, message: str, kind: str, detail: dict[str, Any]) -> None:
        self._terminal()
        extra: dict[str, Any] = {"errorMessage": message, "errorKind": kind, "errorDetail": detail}
        if self.text:
            extra["message"] = assistant_message(self.text, _ms(self._clock))
        self._chat("error", seq, extra)
