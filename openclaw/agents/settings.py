"""The agents section of one settings snapshot: C{agents.list} and C{agents.defaults}."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

DEFAULT_AGENT_ID = "main"
DEFAULT_HEARTBEAT_EVERY = "30m"
DEFAULT_HEARTBEAT_TARGET = "owner"
DEFAULT_ACK_MAX_CHARS = 300


@dataclass(frozen=True)
class AgentEntry:
    id: str
    name: str | None = None


@dataclass(frozen=True)
class HeartbeatSettings:
    every: str = DEFAULT_HEARTBEAT_EVERY
    prompt: str = ""
    target: str = DEFAULT_HEARTBEAT_TARGET
    ackMaxChars: int = DEFAULT_ACK_MAX_CHARS


@dataclass(frozen=True)
class AgentsSettings:
    """The configured agents (at least the default one) and their shared heartbeat."""

    agents: tuple[AgentEntry, ...] = (AgentEntry(DEFAULT_AGENT_ID),)
    defaultAgentId: str = DEFAULT_AGENT_ID
    heartbeat: HeartbeatSettings = HeartbeatSettings()

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "AgentsSettings":
        section = config.get("agents") if isinstance(config.get("agents"), Mapping) else {}
        listed = [a for a in section.get("list", []) if isinstance(a, Mapping) and a.get("id")]
        if not listed:
            listed = [{"id": DEFAULT_AGENT_ID}]
        default = next((a for a in listed if a.get("default")), listed[0])
        heartbeat = (section.get("defaults", {}) or {}).get("heartbeat", {}) or {}
        return cls(
            agents=tuple(AgentEntry(str(a["id"]), a.get("name") or None) for a in listed),
            defaultAgentId=str(default["id"]),
            heartbeat=HeartbeatSettings(
                every=str(heartbeat.get("every", DEFAULT_HEARTBEAT_EVERY)),
                prompt=str(heartbeat.get("prompt", "")),
                target=str(heartbeat.get("target", DEFAULT_HEARTBEAT_TARGET)),
                ackMaxChars=int(heartbeat.get("ackMaxChars", DEFAULT_ACK_MAX_CHARS)),
            ),
        )
