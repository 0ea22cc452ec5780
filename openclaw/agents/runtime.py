"""
The agent runtime: the one place runs start. It puts together the model service
(providers over one owned HTTP client), the per-agent session stores, the session
bus and the run manager, and hands each new run the settings of that moment.

Hot reload (C{agents}, C{models}, C{session}, C{messages}) swaps the snapshot new
runs take; runs in flight keep theirs, and the model service keeps serving the
requests it has open.
"""

from __future__ import annotations

import os
from typing import Any, Callable

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from zope.interface import implementer

from openclaw.agents.heartbeat import HeartbeatScheduler
from openclaw.agents.models import ModelChoice
from openclaw.agents.providers.service import ModelService
from openclaw.agents.runevents import Publish
from openclaw.agents.runs import Run, RunManager, RunRequest, RunSnapshot
from openclaw.agents.sessionkeys import main_key
from openclaw.agents.sessions.bus import SessionBus
from openclaw.agents.sessions.stores import SessionStores
from openclaw.agents.tools.base import ToolContext
from openclaw.agents.tools.registry import ToolRegistry, default_registry
from openclaw.agents.tools.toolbox import Toolbox
from openclaw.agents.turn import RunOutcome, Turn
from openclaw.agents.workspace import Workspace, workspace_path
from openclaw.reloadable import ISettingsConsumer

_log = Logger(namespace="agents")

#: Sessions listed under C{recent} in health and status.
RECENT_SESSIONS = 10


@implementer(ISettingsConsumer)
class AgentRuntime(MultiService):
    name = "agents"
    sections = frozenset({"agents", "models", "session", "messages"})

    def __init__(
        self,
        settings: Any,
        reactor: Any,
        clock: Any,
        publish: Publish,
        track: Callable[[Deferred], Any] = lambda d: d,
        accepting: Callable[[], bool] = lambda: True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._reactor = reactor
        self._clock = clock
        #: The tools every run, C{/tools/invoke} and C{tools.invoke} draw from.
        self.tools: ToolRegistry = default_registry()
        #: C{(event, payload, dropIfSlow=False)}: an event to every client that may see it.
        self.publish = publish
        self.models = ModelService(settings.models, reactor, clock)
        self.models.setServiceParent(self)
        self.stores = SessionStores(settings.paths.stateDir, clock, settings.session.maintenance)
        self.stores.setServiceParent(self)
        self.bus = SessionBus(clock, self.mainSessionKey)
        self.runs = RunManager(self, clock, publish, track, accepting)
        self.heartbeats = HeartbeatScheduler(self, clock, reactor, publish)
        self.heartbeats.setServiceParent(self)

    def startService(self) -> None:
        super().startService()
        # Health counts the sessions of the stores that exist; a store file is only
        # created by the first session (OpenClaw's own CLI reads that file as well).
        for agent in self.settings.agents.agents:
            if os.path.exists(self.stores.path(agent.id)):
                self.stores.store(agent.id)

    def stopService(self) -> Deferred:
        """Runs still going are stopped (and recorded) before the stores and the model service stop."""
        d = self.runs.stopAll("shutdown")
        d.addCallback(lambda _: super(AgentRuntime, self).stopService())
        return d

    def applySettings(self, settings: Any, changedSections: frozenset[str]) -> bool:
        """New runs take C{settings}; runs in flight keep the snapshot they started with."""
        self.settings = settings
        self.stores.maintenance = settings.session.maintenance
        if settings.models != self.models.settings:  # a models edit, or new keys (secrets, auth-profile stores)
            self.models.applySettings(settings.models)
        self.heartbeats.reschedule()
        return True

    def toolContext(self, agentId: str, sessionKey: str, channelPolicy: Any = None) -> ToolContext:
        """
        Where a tool called for C{agentId} in C{sessionKey} runs, under the current
        settings (and C{channelPolicy}, the channel layer of a run from a chat group).
        """
        return ToolContext(
            agentId, sessionKey, workspace_path(self.settings.agents, agentId), self.settings.tools, self._reactor,
            self._clock, self, channelPolicy=channelPolicy,
        )

    # runs -------------------------------------------------------------------------

    def nowMs(self) -> int:
        return int(self._clock.seconds() * 1000)

    @property
    def defaultAgentId(self) -> str:
        return self.settings.agents.defaultAgentId

    def mainSessionKey(self, agentId: str) -> str:
        return main_key(agentId, self.settings.session)

    def queueMode(self, requested: str | None, channel: str | None = None) -> str:
        """C{followup} or C{interrupt}: C{steer} and C{collect} wait their turn like C{followup}."""
        mode = requested or self.settings.queue.modeFor(channel)
        return "interrupt" if mode == "interrupt" else "followup"

    def start(self, request: RunRequest, watch: Callable[[str, Any], None] | None = None) -> tuple[Run, bool]:
        """
        Every way of starting work comes here: (the run, whether it is new).
        C{watch(event, payload)}: an in-process watcher of the run's events (the embedding API).
        """
        return self.runs.submit(request, watch)

    def resetSession(self, agentId: str, key: str, reason: str) -> Deferred:
        """
        A fresh start for session C{key} (C{sessions.reset}, C{/new}, C{/reset}): what
        runs in it is stopped, the transcript rolled, C{sessions.changed} announced.
        Fires with the new L{SessionEntry}.
        """
        self.runs.abort(key, None, "reset")

        def announce(entry: Any) -> Any:
            self.bus.changed(entry, "reset", agentId, self.runs.activeRunIds(key))
            return entry

        return self.stores.store(agentId).reset(key, reason).addCallback(announce)

    def snapshot(self, request: RunRequest) -> RunSnapshot:
        """The settings a run starting now takes."""
        s = self.settings
        choice = ModelChoice(request.model) if request.model else s.agents.modelChoice(request.agentId)
        timeout = s.agents.defaults.timeoutSeconds if request.timeoutSeconds is None else request.timeoutSeconds
        context = self.toolContext(request.agentId, request.sessionKey, request.toolPolicy)
        return RunSnapshot(
            models=s.models, choice=choice, session=s.session, timeoutSeconds=timeout, systemPrompt=request.extraSystemPrompt,
            toolbox=Toolbox(self.tools, context),
            workspace=Workspace(s.agents.agent(request.agentId), context.workspace, s.bootstrap, self._reactor),
        )

    def turn(self, run: Run, snapshot: RunSnapshot) -> Turn:
        return Turn(run, snapshot, self.stores.store(run.request.agentId), self.bus, self.models, self._clock)

    def runEnded(self, run: Run) -> Deferred:
        """A run ended: its session row records how, and no longer lists it as active. Never fails."""
        request, outcome = run.request, run.outcome
        store = self.stores.store(request.agentId)
        d = store.get(request.sessionKey)
        if outcome.startedAt is not None:  # (a run that never started only leaves the queue)
            # a session deleted meanwhile stays deleted
            d.addCallback(lambda entry: entry and store.touch(request.sessionKey, **_session_fields(outcome)))
        d.addCallback(self._announceEnd, run)
        d.addErrback(lambda f: _log.failure("could not record the end of run {runId}", f, runId=request.runId))
        return d

    def _announceEnd(self, entry: Any, run: Run) -> None:
        if entry is None:
            return
        request = run.request
        self.bus.changed(
            entry, "update", request.agentId, activeRunIds=self.runs.activeRunIds(request.sessionKey), runId=request.runId,
        )

    # what health and status report -----------------------------------------------

    def sessionStorePath(self, agentId: str) -> str:
        return self.stores.path(agentId)

    def _opened(self, agentId: str) -> Any:
        """The agent's session store if it is open (none: the agent has no sessions yet)."""
        return next((s for s in self.stores.opened() if s.agentId == agentId), None)

    def _sessions(self, agentId: str) -> dict[str, Any]:
        store = self._opened(agentId)
        if store is None:
            return {"path": self.sessionStorePath(agentId), "count": 0, "recent": []}
        return store.summary(self.nowMs())

    def healthSummary(self) -> dict[str, Any]:
        """The agent part of the C{health} snapshot."""
        agentsSettings = self.settings.agents
        agents = []
        for agent in agentsSettings.agents:
            entry: dict[str, Any] = {
                "agentId": agent.id,
                "isDefault": agent.id == self.defaultAgentId,
                "heartbeat": self.heartbeats.healthFields(agent.id),
                "sessions": self._sessions(agent.id),
            }
            if agent.name:
                entry["name"] = agent.name
            agents.append(entry)
        defaultBeat = self.heartbeats.healthFields(self.defaultAgentId)
        return {
            "heartbeatSeconds": (defaultBeat["everyMs"] or 0) // 1000,
            "defaultAgentId": self.defaultAgentId,
            "agents": agents,
            "sessions": self._sessions(self.defaultAgentId),
        }

    def heartbeatStatus(self) -> dict[str, Any]:
        """The C{heartbeat} part of the C{status} answer."""
        return {
            "defaultAgentId": self.defaultAgentId,
            "agents": [self.heartbeats.statusFields(a.id) for a in self.settings.agents.agents],
        }

    def sessionsStatus(self, admin: bool) -> dict[str, Any]:
        """The C{sessions} part of the C{status} answer (paths and rows only for admins)."""
        now = self.nowMs()
        byAgent, recent, total = [], [], 0
        for agent in self.settings.agents.agents:
            store = self._opened(agent.id)
            count, entries = (0, []) if store is None else (store.summary(now)["count"], store.recent())
            total += count
            rows = [self._statusRow(e, now) for e in entries] if admin else []
            recent.extend(rows)
            byAgent.append({
                "agentId": agent.id, "path": self.sessionStorePath(agent.id) if admin else "[redacted]",
                "count": count, "recent": rows,
            })
        recent.sort(key=lambda r: r["updatedAt"], reverse=True)
        choice = self.settings.agents.modelChoice(self.defaultAgentId)
        try:
            model = str(self.settings.models.plan(choice)[0])
        except ValueError:
            model = None
        return {
            "paths": [b["path"] for b in byAgent] if admin else [],
            "count": total,
            "defaults": {"model": model, "contextTokens": None},
            "recent": recent[:RECENT_SESSIONS],
            "byAgent": byAgent,
        }

    def _statusRow(self, entry: Any, now: int) -> dict[str, Any]:
        return {
            "agentId": entry.agentId, "key": entry.key, "kind": entry.kind, "sessionId": entry.sessionId,
            "updatedAt": entry.updatedAt, "age": max(0, now - entry.updatedAt), "model": entry.model,
            "inputTokens": entry.inputTokens, "outputTokens": entry.outputTokens, "totalTokens": entry.totalTokens,
            "contextTokens": entry.contextTokens, "flags": [],
        }


def _session_fields(outcome: RunOutcome) -> dict[str, Any]:
    """What a session row keeps of its last run: how it ended, and the model and tokens of a completed one."""
    if outcome.status == "ok":
        status = "done"
    elif outcome.status == "error":
        status = "failed"
    else:
        status = "timeout" if outcome.stopReason == "timeout" else "killed"
    fields: dict[str, Any] = {"status": status, "abortedLastRun": status == "killed"}
    if outcome.status == "ok" and outcome.usage is not None:
        usage = outcome.usage
        fields.update(modelProvider=outcome.provider, model=outcome.model, inputTokens=usage.input,
                      outputTokens=usage.output, totalTokens=usage.input + usage.output)
    return fields
