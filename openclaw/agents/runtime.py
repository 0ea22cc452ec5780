"""
The agent runtime service: today it knows the configured agents and where their
sessions live; runs, queues and providers are added here by the agent milestone.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.application.service import Service
from zope.interface import implementer

from openclaw.agents.settings import AgentsSettings
from openclaw.reloadable import ISettingsConsumer


@implementer(ISettingsConsumer)
class AgentRuntime(Service):
    name = "agents"
    sections = frozenset({"agents", "models", "session", "messages"})

    def __init__(self, settings: AgentsSettings, stateDir: str) -> None:
        self.settings = settings
        self._stateDir = stateDir

    def applySettings(self, settings: Any, changedSections: frozenset[str]) -> bool:
        """A new agent list or heartbeat takes effect at once (no run state depends on it yet)."""
        self.settings = settings.agents
        return True

    @property
    def defaultAgentId(self) -> str:
        return self.settings.defaultAgentId

    def sessionStorePath(self, agentId: str) -> str:
        return os.path.join(self._stateDir, "agents", agentId, "sessions", "sessions.sqlite")

    def _sessions(self, agentId: str) -> dict[str, Any]:
        # No run has happened before the agent runtime exists, so the store is empty.
        return {"path": self.sessionStorePath(agentId), "count": 0, "recent": []}

    def healthSummary(self) -> dict[str, Any]:
        """The agent part of the C{health} snapshot."""
        heartbeat = self.settings.heartbeat
        agents = []
        for agent in self.settings.agents:
            entry: dict[str, Any] = {
                "agentId": agent.id,
                "isDefault": agent.id == self.defaultAgentId,
                "heartbeat": {
                    "enabled": False,
                    "every": heartbeat.every,
                    "everyMs": None,
                    "prompt": heartbeat.prompt,
                    "target": heartbeat.target,
                    "ackMaxChars": heartbeat.ackMaxChars,
                },
                "sessions": self._sessions(agent.id),
            }
            if agent.name:
                entry["name"] = agent.name
            agents.append(entry)
        return {
            "heartbeatSeconds": 0,
            "defaultAgentId": self.defaultAgentId,
            "agents": agents,
            "sessions": self._sessions(self.defaultAgentId),
        }

    def heartbeatStatus(self) -> dict[str, Any]:
        """The C{heartbeat} part of the C{status} answer."""
        return {
            "defaultAgentId": self.defaultAgentId,
            "agents": [
                {"agentId": a.id, "enabled": False, "every": self.settings.heartbeat.every, "everyMs": None,
                 "waitingForRoute": False}
                for a in self.settings.agents
            ],
        }

    def sessionsStatus(self, admin: bool) -> dict[str, Any]:
        """The C{sessions} part of the C{status} answer (paths only for admins)."""
        agentIds = [a.id for a in self.settings.agents]
        byAgent = [
            {"agentId": a, "path": self.sessionStorePath(a) if admin else "[redacted]", "count": 0, "recent": []}
            for a in agentIds
        ]
        return {
            "paths": [self.sessionStorePath(a) for a in agentIds] if admin else [],
            "count": 0,
            "defaults": {"model": None, "contextTokens": None},
            "recent": [],
            "byAgent": byAgent,
        }
