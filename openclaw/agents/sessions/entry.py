"""
A session row (L{SessionEntry}) and a transcript entry (L{TranscriptEntry}) as the
store hands them out: frozen values, with their wire shapes (C{row()},
C{wireMessage()}).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from openclaw.agents.sessionkeys import chat_type, session_kind

#: The transcript entry kinds: a message, and the marker a reset leaves.
MESSAGE = "message"
RESET = "reset"


@dataclass(frozen=True)
class SessionEntry:
    """One session: its key, its current transcript (C{sessionId}) and what it remembers."""

    key: str
    agentId: str
    sessionId: str
    createdAt: int
    sessionStartedAt: int
    updatedAt: int
    lastInteractionAt: int | None = None
    lastActivityAt: int | None = None
    label: str | None = None
    displayName: str | None = None
    channel: str | None = None
    #: Where replies go back to: C{{channel, to, accountId?, threadId?}}.
    lastRoute: Mapping[str, Any] | None = None
    createdVia: str | None = None
    spawnedBy: str | None = None
    thinkingLevel: str | None = None
    verboseLevel: str | None = None
    #: The user's model choice for this session (C{sessions.patch model}).
    providerOverride: str | None = None
    modelOverride: str | None = None
    #: The model the last run used.
    modelProvider: str | None = None
    model: str | None = None
    inputTokens: int = 0
    outputTokens: int = 0
    totalTokens: int = 0
    contextTokens: int | None = None
    compactionCount: int = 0
    archivedAt: int | None = None
    pinnedAt: int | None = None
    lastReadAt: int | None = None
    #: Set while the session is explicitly marked unread.
    markedUnreadAt: int | None = None
    lastRunId: str | None = None
    #: The last run's outcome: C{running}, C{done}, C{failed}, C{killed}, C{timeout}.
    status: str | None = None
    abortedLastRun: bool = False
    #: The id of the newest transcript entry (the next append's C{parentId}).
    leafId: str | None = None
    #: Bumped on every reset, so a client can tell a reset session from the one it knew.
    lifecycleRevision: int = 1

    def record(self) -> dict[str, Any]:
        """The stored form: the set fields."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    @classmethod
    def fromRecord(cls, record: Mapping[str, Any]) -> "SessionEntry":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in known})

    def updated(self, **fields: Any) -> "SessionEntry":
        return dataclasses.replace(self, **fields)

    @property
    def kind(self) -> str:
        return session_kind(self.key)

    @property
    def unread(self) -> bool:
        """Marked unread, or changed since it was last read."""
        if self.markedUnreadAt is not None:
            return True
        return self.lastReadAt is not None and self.updatedAt > self.lastReadAt

    def row(self, activeRunIds: Iterable[str] = (), mainKey: str | None = None) -> dict[str, Any]:
        """
        The row of C{sessions.list}, C{sessions.describe} and C{sessions.changed}
        (the protocol's C{SessionRow}); C{mainKey} (the agent's main session key)
        adds C{isMain}.
        """
        runs = list(activeRunIds)
        row: dict[str, Any] = {
            "key": self.key,
            "kind": self.kind,
            "agentId": self.agentId,
            "sessionId": self.sessionId,
            "createdAt": self.createdAt,
            "updatedAt": self.updatedAt,
            "archived": self.archivedAt is not None,
            "pinned": self.pinnedAt is not None,
            "unread": self.unread,
            "abortedLastRun": self.abortedLastRun,
            "inputTokens": self.inputTokens,
            "outputTokens": self.outputTokens,
            "totalTokens": self.totalTokens,
            "modelOverrideSource": "user" if self.modelOverride else None,
            "activeLeafEntryId": self.leafId,
            "hasActiveRun": bool(runs),
            "activeRunIds": runs,
            "status": "running" if runs else self.status,
        }
        if mainKey is not None:
            row["isMain"] = self.key == mainKey
        optional = {
            "chatType": chat_type(self.key),
            "label": self.label,
            "displayName": self.displayName,
            "channel": self.channel,
            "createdVia": self.createdVia,
            "spawnedBy": self.spawnedBy,
            "lastInteractionAt": self.lastInteractionAt,
            "lastActivityAt": self.lastActivityAt,
            "thinkingLevel": self.thinkingLevel,
            "verboseLevel": self.verboseLevel,
            "modelProvider": self.providerOverride or self.modelProvider,
            "model": self.modelOverride or self.model,
            "contextTokens": self.contextTokens,
            "archivedAt": self.archivedAt,
            "pinnedAt": self.pinnedAt,
            "lastReadAt": self.lastReadAt,
            "markedUnreadAt": self.markedUnreadAt,
            "lastRunId": self.lastRunId,
        }
        row.update((k, v) for k, v in optional.items() if v is not None)
        if row["status"] is None:
            del row["status"]
        return row


@dataclass(frozen=True)
class TranscriptEntry:
    """
    One append-only transcript entry: a message (C{{role, content, timestamp, …}})
    or a reset marker. C{seq} counts the session's entries from 1; C{parentId} is the
    entry it follows (the active branch is the C{parentId} chain from the leaf).
    """

    id: str
    parentId: str | None
    seq: int
    timestamp: int
    kind: str
    message: Mapping[str, Any] = field(default_factory=dict)
    runId: str | None = None

    def wireMessage(self) -> dict[str, Any]:
        """The message as C{sessions.get} and C{session.message} carry it: with its C{__openclaw} ids."""
        meta: dict[str, Any] = {"id": self.id, "seq": self.seq}
        if self.kind != MESSAGE:
            meta["kind"] = self.kind
        if self.runId is not None:
            meta["runId"] = self.runId
        return {**self.message, "__openclaw": meta}


def reset_message(reason: str, timestamp: int) -> dict[str, Any]:
    """The system message a reset leaves in the transcript."""
    return {"role": "system", "content": [{"type": "text", "text": "Reset"}], "timestamp": timestamp,
            "reason": reason}
