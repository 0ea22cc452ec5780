"""
The agent runtime service: today it knows the configured agents and where their
sessions live; runs, queues and providers are added here by the agent milestone.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from twisted.application.service import Service

DEFAULT_AGENT_ID = "main"
DEFAULT_HEARTBEAT_EVERY = "30m"


class AgentRuntime(Service):
    name = "agents"

    def __init__(self, config: Mapping[str, Any], stateDir: str) -> None:
        agents = config.get("agents", {}) if isinstance(config.get("agents"), Mapping) else {}
        listed = [a for a in agents.get("list", []) if isinstance(a, Mapping) and a.get("id")]
        self._agents = listed or [{"id": DEFAULT_AGENT_ID}]
        default = next((a for a in self._agents if a.get("default")), self._agents[0])
        self.defaultAgentId: str = default["id"]
        self._heartbeat = (agents.get("defaults", {}) or {}).get("heartbeat", {}) or {}
        self._stateDir = stateDir

    def sessionStorePath(self, agentId: str) -> str:
        return os.path.join(self._stateDir, "agents", agentId, "sessions", "sessions.sqlite")

    def _sessions(self, agentId: str) -> dict[str, Any]:
        # No run has happened before the agent runtime exists, so the store is empty.
        return {"path": self.sessionStorePath(agentId), "count": 0, "recent": []}

    def healthSummary(self) -> dict[str, Any]:
        """The agent part of the C{health} snapshot."""
        agents = []
        for agent in self._agents:
            entry: dict[str, Any] = {
                "agentId": agent["id"],
                "isDefault": agent["id"] == self.defaultAgentId,
                "heartbeat": {
                    "enabled": False,
                    "every": str(self._heartbeat.get("every", DEFAULT_HEARTBEAT_EVERY)),
                    "everyMs": None,
                    "prompt": str(self._heartbeat.get("prompt", "")),
                    "target": str(self._heartbeat.get("target", "owner")),
                    "ackMaxChars": int(self._heartbeat.get("ackMaxChars", 300)),
                },
                "sessions": self._sessions(agent["id"]),
            }
            if agent.get("name"):
                entry["name"] = agent["name"]
            agents.append(entry)
        return {
            "heartbeatSeconds": 0,
            "defaultAgentId": self.defaultAgentId,
            "agents": agents,
            "sessions": self._sessions(self.defaultAgentId),
        }

    def heartbeatStatus(self) -> dict[str, Any]:
        """The C{heartbeat} part of the C{status} answer."""
        every = str(self._heartbeat.get("every", DEFAULT_HEARTBEAT_EVERY))
        return {
            "defaultAgentId": self.defaultAgentId,
            "agents": [
                {"agentId": a["id"], "enabled": False, "every": every, "everyMs": None, "waitingForRoute": False}
                for a in self._agents
            ],
        }

    def sessionsStatus(self, admin: bool) -> dict[str, Any]:
        """The C{sessions} part of the C{status} answer (paths only for admins)."""
        byAgent = [
            {"agentId": a["id"], "path": self.sessionStorePath(a["id"]) if admin else "[redacted]", "count": 0, "recent": []}
            for a in self._agents
        ]
        return {
            "paths": [self.sessionStorePath(a["id"]) for a in self._agents] if admin else [],
            "count": 0,
            "defaults": {"model": None, "contextTokens": None},
            "recent": [],
            "byAgent": byAgent,
        }
