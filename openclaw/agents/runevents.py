"""
What one run tells its watchers: C{agent} events with the run's own C{seq} (1, 2,
3 … per run, unrelated to a connection's frame C{seq}), and their C{chat}
projection for UI clients.

Assistant text is coalesced: an C{agent} assistant event and its C{chat} delta
go out at most every L{DELTA_INTERVAL} seconds (on the injected clock), the
first one at once, each with the text that arrived since the previous one and
the whole message so far; the delta carries the C{seq} of that assistant event.
Any other C{agent} event first sends the text still held back, so the order of
the stream is kept, and the terminal C{final} carries the last delta's C{seq}.
Coalescing is what keeps a fast upstream from costing one frame per token per
watching client (the reference gateway coalesces as well).

Tool calls go C{start} → C{update}* → C{result}. Updates carry the call's partial
result so far (a running command's output); they are paced the same way, each
with the newest partial result, and one still held back when the result arrives
is dropped: the result says more. Tool events go to the run's tool-event
recipients as C{agent} events, and, as C{session.tool} with the session's
snapshot fields, to the session's message subscribers that are not recipients.

C{agent} and C{chat} events are published with the run's session key, so that
clients that declared C{session-scoped-events} get them only for the sessions
they subscribed to.
"""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.interfaces import IReactorTime

#: C{publish(event, payload, dropIfSlow, sessionKey=None)}: hand an event to every client that
#: may see it; C{sessionKey} names the session an C{agent}/C{chat} event belongs to.
Publish = Callable[..., None]

#: C{emit(event, payload, dropIfSlow)} of one connection.
Emit = Callable[[str, Any, bool], None]

#: C{sessionTool(sessionKey, payload, recipients)}: a C{session.tool} payload for the
#: session's subscribers, except the connections (ids) in C{recipients}.
SessionTool = Callable[[str, dict, frozenset], None]

#: A reply that is only this token is silent: no message in the final event, no payload.
SILENT_REPLY = "NO_REPLY"

#: The C{connect caps} entry of a client that wants the tool events of the runs it starts.
TOOL_EVENTS = "tool-events"

#: The C{connect caps} entry of a client that wants C{agent}/C{chat} events only for the
#: sessions it subscribed to (C{sessions.messages.subscribe}).
SESSION_SCOPED_EVENTS = "session-scoped-events"

#: The events such a client gets only for its subscribed sessions.
SESSION_EVENTS = frozenset({"agent", "chat"})

#: Assistant deltas are paced this far apart (seconds), the text between them coalesced.
DELTA_INTERVAL = 0.075


def _ms(clock: IReactorTime) -> int:
    return int(clock.seconds() * 1000)


def assistant_message(text: str, timestamp: int) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "text", "text": text}], "timestamp": timestamp}


class RunEvents:
    """The C{agent} and C{chat} events of one run, in order, with its C{seq}."""

    def __init__(
        self, runId: str, sessionKey: str, agentId: str, publish: Publish, clock: IReactorTime, isHeartbeat: bool | None,
        sessionTool: SessionTool | None = None,
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
        self._itemId = ""
        self._lastDeltaSeq: int | None = None
        self._lastDeltaAt: float | None = None
        self._flushCall: Any = None
        self.finished = False
        #: connection id → C{emit} of the connections that receive this run's tool events.
        self._toolRecipients: dict[str, Emit] = {}
        self._sessionTool = sessionTool
        #: The session's fields a C{session.tool} payload carries (L{setSession}).
        self._sessionFields: dict[str, Any] = {"sessionKey": sessionKey, "agentId": agentId}
        #: The newest tool update held back by the pacing, and the timer that sends it.
        self._pendingUpdate: dict[str, Any] | None = None
        self._updateCall: Any = None
        self._lastUpdateAt: float | None = None
        #: C{watch(event, payload)} of in-process watchers (the HTTP APIs, the embedding API): every event of this run, tools included.
        self._watchers: list[Callable[[str, Any], None]] = []

    # agent ----------------------------------------------------------------------

    def _agentPayload(self, stream: str, data: dict[str, Any]) -> dict[str, Any]:
        """The next C{agent} event of the run (its C{seq} taken), after the assistant text held back."""
        if self._pending and stream != "assistant":
            self._flushNow()
        self.seq += 1
        payload: dict[str, Any] = {"runId": self.runId, "seq": self.seq, "stream": stream, "ts": _ms(self._clock), "data": data}
        if self._isHeartbeat is not None:
            payload["isHeartbeat"] = self._isHeartbeat
        return payload

    def agent(self, stream: str, data: dict[str, Any]) -> int:
        """Publish one C{agent} event; returns its run C{seq}."""
        payload = self._agentPayload(stream, data)
        self._publish("agent", payload, False, sessionKey=self.sessionKey)
        self._watched("agent", payload)
        return self.seq

    def addWatcher(self, watch: Callable[[str, Any], None]) -> None:
        """C{watch(event, payload)} receives every C{agent} (tool ones too) and C{chat} event of this run from now on."""
        self._watchers.append(watch)

    def _watched(self, event: str, payload: dict[str, Any]) -> None:
        for watch in self._watchers:
            watch(event, payload)

    def addToolRecipient(self, emit: Emit, connId: str | None = None) -> None:
        """C{emit} (the connection C{connId}'s) receives this run's C{stream:"tool"} events."""
        self._toolRecipients[connId if connId is not None else f"emit:{id(emit)}"] = emit

    def setSession(self, fields: dict[str, Any]) -> None:
        """The session snapshot (C{sessionId}, C{updatedAt}, C{label}, …) C{session.tool} payloads carry."""
        self._sessionFields = {**fields, "sessionKey": self.sessionKey, "agentId": self.agentId}

    def tool(self, data: dict[str, Any]) -> int:
        """
        A C{stream:"tool"} C{agent} event to the run's tool-event recipients (never
        broadcast), and as C{session.tool} to the session's other message subscribers.
        Any other phase than C{update} drops an update still held back (the result says more).
        """
        if data.get("phase") != "update" and self._pendingUpdate is not None:
            self._cancelUpdate()
        payload = self._agentPayload("tool", data)
        for emit in list(self._toolRecipients.values()):
            emit("agent", payload, False)
        if self._sessionTool is not None:
            self._sessionTool(self.sessionKey, {**payload, **self._sessionFields}, frozenset(self._toolRecipients))
        self._watched("agent", payload)
        return self.seq

    def toolUpdate(self, name: str, toolCallId: str, partialResult: dict[str, Any]) -> None:
        """A call's partial result so far: goes out when the pacing allows, the newest one only."""
        self._pendingUpdate = {"phase": "update", "name": name, "toolCallId": toolCallId, "partialResult": partialResult}
        if self._updateCall is not None:
            return
        now = self._clock.seconds()
        wait = 0.0 if self._lastUpdateAt is None else self._lastUpdateAt + DELTA_INTERVAL - now
        if wait <= 0:
            self._sendUpdate()
        else:
            self._updateCall = self._clock.callLater(wait, self._sendUpdate)

    def _sendUpdate(self) -> None:
        self._updateCall = None
        data, self._pendingUpdate = self._pendingUpdate, None
        if data is not None:
            self._lastUpdateAt = self._clock.seconds()
            self.tool(data)

    def _cancelUpdate(self) -> None:
        if self._updateCall is not None:
            self._updateCall.cancel()
            self._updateCall = None
        self._pendingUpdate = None

    def lifecycle(self, phase: str, **data: Any) -> int:
        return self.agent("lifecycle", {"phase": phase, **data})

    def status(self, phase: str) -> None:
        """A preparation phase: C{agent run_status} and the transient C{chat status} with the same seq."""
        seq = self.agent("run_status", {"phase": phase})
        self._chat("status", seq, {"phase": phase}, dropIfSlow=True)

    def assistant(self, delta: str, itemId: str) -> None:
        """New assistant text: its C{agent} event and C{chat} delta go out when the pacing allows."""
        if not delta:
            return
        self.text += delta
        self._pending += delta
        self._itemId = itemId
        if self._flushCall is not None:
            return
        now = self._clock.seconds()
        wait = 0.0 if self._lastDeltaAt is None else self._lastDeltaAt + DELTA_INTERVAL - now
        if wait <= 0:
            self._flush()
        else:
            self._flushCall = self._clock.callLater(wait, self._flush)

    # chat -----------------------------------------------------------------------

    def _chat(self, state: str, seq: int, extra: dict[str, Any], dropIfSlow: bool = False) -> None:
        payload = {"runId": self.runId, "sessionKey": self.sessionKey, "agentId": self.agentId, "seq": seq, "state": state}
        payload.update(extra)
        self._publish("chat", payload, dropIfSlow, sessionKey=self.sessionKey)
        self._watched("chat", payload)

    def _flush(self) -> None:
        self._flushCall = None
        if not self._pending:
            return
        delta, self._pending = self._pending, ""
        seq = self.agent("assistant", {"text": self.text, "delta": delta, "itemId": self._itemId})
        self._lastDeltaSeq = seq
        self._lastDeltaAt = self._clock.seconds()
        message = assistant_message(self.text, _ms(self._clock))
        self._chat("delta", seq, {"deltaText": delta, "message": message}, dropIfSlow=True)

    def _flushNow(self) -> None:
        """The text held back goes out now, and the pacing timer stops."""
        if self._flushCall is not None:
            self._flushCall.cancel()
            self._flushCall = None
        self._flush()

    def _terminal(self) -> None:
        """Before a terminal chat event: pending text goes out (a tool update held back no longer matters)."""
        self._flushNow()
        self._cancelUpdate()
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
