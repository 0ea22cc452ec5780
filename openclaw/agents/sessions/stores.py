"""
Every agent's session store, opened when first used: C{store(agentId)} is the
L{SessionStore} of C{<stateDir>/agents/<agentId>/agent/openclaw-agent.sqlite},
started at once when this service is running (else when it starts), stopped with it.
"""

from __future__ import annotations

import os
import re

from twisted.application.service import MultiService
from twisted.internet.interfaces import IReactorTime

from openclaw.agents.sessions.store import SessionStore

_AGENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class SessionStores(MultiService):
    name = "sessions"

    def __init__(self, stateDir: str, clock: IReactorTime) -> None:
        super().__init__()
        self._stateDir = stateDir
        self._clock = clock
        self._stores: dict[str, SessionStore] = {}

    def path(self, agentId: str) -> str:
        """Where agent C{agentId}'s sessions live (C{agentId} must be a normalised agent id)."""
        if not _AGENT_ID.fullmatch(agentId):
            raise ValueError(f"not a normalised agent id: {agentId!r}")
        return os.path.join(self._stateDir, "agents", agentId, "agent", "openclaw-agent.sqlite")

    def store(self, agentId: str) -> SessionStore:
        store = self._stores.get(agentId)
        if store is None:
            store = self._stores[agentId] = SessionStore(self.path(agentId), self._clock, agentId)
            store.setServiceParent(self)  # a running parent starts it now
        return store

    def opened(self) -> list[SessionStore]:
        """The stores opened so far."""
        return list(self._stores.values())
