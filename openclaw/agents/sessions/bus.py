"""
Who hears about sessions: C{sessions.changed} payloads go to every change
subscriber (connections that called C{sessions.subscribe}), C{session.message}
payloads to the subscribers of that one session (C{sessions.messages.subscribe}),
and so do C{session.tool} payloads, except to the connections that already get
the run's tool events.
The bus builds the payloads; subscribers only forward them. A subscriber that raises
is logged and the others still hear.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from openclaw.agents.sessions.entry import SessionEntry, TranscriptEntry

Subscriber = Callable[[dict], None]


def messages_subscription(key: str) -> str:
    """The name a connection holds its C{sessions.messages.subscribe} of session C{key} under."""
    return f"session.messages:{key}"


class SessionBus:
    log = Logger()

    def __init__(self, clock: IReactorTime, mainKeyOf: Callable[[str], str] | None = None) -> None:
        self._clock = clock
        #: agentId → that agent's main session key (rows say C{isMain}).
        self.mainKeyOf = mainKeyOf
        self._changes: list[Subscriber] = []
        self._messages: dict[str, list[Subscriber]] = {}
        #: session key → connection id → C{session.tool} subscriber.
        self._tools: dict[str, dict[str, Subscriber]] = {}

    # subscribing ------------------------------------------------------------------

    def subscribeChanges(self, callback: Subscriber) -> Callable[[], None]:
        """Hear every C{sessions.changed} payload; returns the unsubscribe callable."""
        self._changes.append(callback)
        return lambda: self._changes.remove(callback) if callback in self._changes else None

    def subscribeMessages(self, key: str, callback: Subscriber) -> Callable[[], None]:
        """Hear the C{session.message} payloads of session C{key}; returns the unsubscribe callable."""
        self._messages.setdefault(key, []).append(callback)

        def unsubscribe() -> None:
            listeners = self._messages.get(key, [])
            if callback in listeners:
                listeners.remove(callback)
            if not listeners:
                self._messages.pop(key, None)

        return unsubscribe

    def subscribeTools(self, key: str, connId: str, callback: Subscriber) -> Callable[[], None]:
        """Connection C{connId} hears the C{session.tool} payloads of session C{key}; returns the unsubscribe callable."""
        self._tools.setdefault(key, {})[connId] = callback

        def unsubscribe() -> None:
            listeners = self._tools.get(key, {})
            if listeners.get(connId) is callback:
                del listeners[connId]
            if not listeners:
                self._tools.pop(key, None)

        return unsubscribe

    def hasMessageSubscribers(self, key: str) -> bool:
        return key in self._messages

    # publishing -------------------------------------------------------------------

    def row(self, entry: SessionEntry, activeRunIds: Iterable[str] = ()) -> dict[str, Any]:
        """The entry's wire row, with C{isMain} when the bus knows the main keys."""
        mainKey = self.mainKeyOf(entry.agentId) if self.mainKeyOf else None
        return entry.row(activeRunIds, mainKey=mainKey)

    def changed(self, entry: SessionEntry | None, reason: str | None, agentId: str,
                activeRunIds: Iterable[str] = (), **extra: Any) -> dict[str, Any]:
        """
        Publish C{sessions.changed}: C{{sessionKey, agentId, sessionId, reason, ts,
        session:<row>}} plus C{extra} (C{phase}, C{runId}, …). Without an entry (a
        delete, or "refresh the whole list") C{extra} says which session it was.
        """
        payload: dict[str, Any] = {}
        if entry is not None:
            payload.update(sessionKey=entry.key, sessionId=entry.sessionId)
        payload["agentId"] = agentId
        if reason is not None:
            payload["reason"] = reason
        payload["ts"] = int(self._clock.seconds() * 1000)
        if entry is not None:
            payload["session"] = self.row(entry, activeRunIds)
        payload.update(extra)
        self._deliver(list(self._changes), payload)
        return payload

    def messageAppended(self, agentId: str, key: str, entry: TranscriptEntry, runId: str | None = None) -> dict[str, Any]:
        """Publish C{session.message} for a transcript append to the session's subscribers."""
        payload: dict[str, Any] = {"sessionKey": key, "agentId": agentId, "messageId": entry.id,
                                   "messageSeq": entry.seq, "message": entry.wireMessage()}
        if runId or entry.runId:
            payload["runId"] = runId or entry.runId
        self._deliver(list(self._messages.get(key, ())), payload)
        return payload

    def toolEvent(self, key: str, payload: dict[str, Any], recipients: frozenset[str]) -> None:
        """Publish C{session.tool} to the session's subscribers other than the connections in C{recipients}."""
        listeners = self._tools.get(key)
        if listeners:
            self._deliver([cb for connId, cb in listeners.items() if connId not in recipients], payload)

    def _deliver(self, subscribers: list[Subscriber], payload: dict[str, Any]) -> None:
        for subscriber in subscribers:
            try:
                subscriber(payload)
            except Exception:
                self.log.failure("a session event subscriber failed")
