"""
Every agent's session store, opened when first used: C{store(agentId)} is the
L{SessionStore} of the agent's database,
C{<stateDir>/agents/<agentId>/agent/openclaw-agent.sqlite} (the file and layout
OpenClaw uses, so its CLI lists our sessions), started at once when this service
is running (else when it starts), stopped with it. Deleted transcripts are
archived in C{<stateDir>/agents/<agentId>/sessions/}, where an earlier version of
this gateway kept its own C{sessions.sqlite}; a store moves that file's sessions in.
Every hour (on the injected clock) the opened stores are pruned by the
C{session.maintenance} settings.
"""

from __future__ import annotations

import os

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from openclaw.agents.sessions.store import SessionStore
from openclaw.agents.settings import Maintenance, normalise_agent_id

#: How often the opened stores are pruned (seconds).
MAINTAIN_EVERY_S = 3600.0


class SessionStores(MultiService):
    name = "sessions"
    log = Logger()

    def __init__(self, stateDir: str, clock: IReactorTime, maintenance: Maintenance = Maintenance()) -> None:
        super().__init__()
        self._stateDir = stateDir
        self._clock = clock
        self._stores: dict[str, SessionStore] = {}
        #: C{session.maintenance} of the current settings (a reload replaces it).
        self.maintenance = maintenance
        self._timer = LoopingCall(
            lambda: self.maintain().addErrback(lambda f: self.log.failure("session maintenance failed", f)))
        self._timer.clock = clock

    def startService(self) -> None:
        super().startService()
        self._timer.start(MAINTAIN_EVERY_S, now=False)

    def stopService(self) -> Deferred | None:
        if self._timer.running:
            self._timer.stop()
        return super().stopService()

    def maintain(self) -> Deferred:
        """Prune every opened store now; fires with how many sessions were removed."""
        policy, nowMs = self.maintenance, int(self._clock.seconds() * 1000)
        pruned = [store.maintain(nowMs, policy.pruneAfterMs, policy.maxEntries) for store in self._stores.values()]
        return gatherResults(pruned, consumeErrors=True).addCallback(sum)

    def _agentDir(self, agentId: str) -> str:
        return os.path.join(self._stateDir, "agents", normalise_agent_id(agentId))

    def path(self, agentId: str) -> str:
        """Where agent C{agentId}'s sessions live (an invalid id raises L{AgentConfigError})."""
        return os.path.join(self._agentDir(agentId), "agent", "openclaw-agent.sqlite")

    def store(self, agentId: str) -> SessionStore:
        agentId = normalise_agent_id(agentId)
        store = self._stores.get(agentId)
        if store is None:
            sessionsDir = os.path.join(self._agentDir(agentId), "sessions")
            store = self._stores[agentId] = SessionStore(
                self.path(agentId), self._clock, agentId, archiveDir=sessionsDir,
                legacyPath=os.path.join(sessionsDir, "sessions.sqlite"),
            )
            store.setServiceParent(self)  # a running parent starts it now
        return store

    def opened(self) -> list[SessionStore]:
        """The stores opened so far."""
        return list(self._stores.values())
