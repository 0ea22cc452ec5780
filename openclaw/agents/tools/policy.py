"""
Which tools an agent may use, and the limits the tools run under.

The policy chain is evaluated layer by layer for one (agent, tool, surface);
the first layer that refuses the tool names itself in the L{Decision}:

    profile      tools.profile (+ tools.alsoAllow)
    global       tools.allow / tools.deny
    provider     tools.byProvider.<provider> (profile, allow, alsoAllow, deny)
    agent        agents.entries.<id>.tools (profile, allow, alsoAllow, deny)
    channel      for a run started from a chat group: the group's tools or toolsBySender
                 entry (openclaw/channels/policy.py picks the most specific one)
    http         the HTTP hard deny list (surface "http" only), less gateway.tools.allow,
                 plus gateway.tools.deny

A deny in any layer wins. C{allow} and C{alsoAllow} may not both be set in one
layer. Names may be groups (C{group:fs}); C{bash} is another name for C{exec}.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from openclaw.agents.models import config_object
from openclaw.agents.settings import AgentConfigError, normalise_agent_id

GROUPS: Mapping[str, frozenset[str]] = MappingProxyType({
    "group:fs": frozenset({"read", "write", "edit", "apply_patch"}),
    "group:runtime": frozenset({"exec", "process", "code_execution"}),
    "group:web": frozenset({"web_search", "x_search", "web_fetch"}),
    "group:messaging": frozenset({"message"}),
    "group:sessions": frozenset({"sessions_list", "sessions_history", "sessions_send", "session_status"}),
    "group:memory": frozenset({"memory_search", "memory_get"}),
})
ALIASES: Mapping[str, str] = MappingProxyType({"bash": "exec"})

#: Profile → the tools it admits; C{full} admits everything.
PROFILES: Mapping[str, frozenset[str] | None] = MappingProxyType({
    "minimal": frozenset({"session_status"}),
    "coding": GROUPS["group:fs"] | GROUPS["group:runtime"] | GROUPS["group:web"] | GROUPS["group:sessions"]
    | GROUPS["group:memory"],
    "messaging": GROUPS["group:messaging"] | frozenset({"sessions_list", "sessions_history", "sessions_send", "session_status"}),
    "full": None,
})

#: What C{POST /tools/invoke} and C{tools.invoke} never run unless C{gateway.tools.allow} names it.
HTTP_DENY = frozenset({
    "exec", "spawn", "shell", "fs_write", "fs_delete", "fs_move", "apply_patch", "sessions_spawn", "sessions_send",
    "cron", "gateway", "nodes",
})

SURFACES = ("agent", "http")


def canonical(name: str) -> str:
    name = name.strip().lower()
    return ALIASES.get(name, name)


def expand(names: Iterable[str]) -> frozenset[str]:
    """Tool names with groups spelled out and aliases resolved."""
    out: set[str] = set()
    for name in names:
        key = canonical(name)
        out |= GROUPS.get(key, {key})
    return frozenset(out)


@dataclass(frozen=True)
class ToolPolicy:
    """One layer: a profile, an allow list (or extra names on top of the profile) and a deny list."""

    profile: str | None = None
    allow: frozenset[str] | None = None
    alsoAllow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()

    def refuses(self, name: str) -> str | None:
        """Why this layer refuses C{name} (C{profile}, C{allow} or C{deny}), or None."""
        if name in self.deny:
            return "deny"
        if self.allow is not None and name not in self.allow:
            return "allow"
        admitted = PROFILES.get(self.profile or "full")
        if admitted is not None and self.allow is None and name not in admitted | self.alsoAllow:
            return "profile"
        return None

    @classmethod
    def fromConfig(cls, raw: Any, path: str) -> "ToolPolicy":
        section = config_object(raw, path)
        profile = section.get("profile")
        if profile is not None and profile not in PROFILES:
            raise AgentConfigError(f"{path}.profile must be one of {', '.join(PROFILES)}")
        if section.get("allow") is not None and section.get("alsoAllow") is not None:
            raise AgentConfigError(f"{path}: allow and alsoAllow cannot both be set")
        allow = section.get("allow")
        return cls(
            profile=profile,
            allow=None if allow is None else expand(_names(allow, f"{path}.allow")),
            alsoAllow=expand(_names(section.get("alsoAllow"), f"{path}.alsoAllow")),
            deny=expand(_names(section.get("deny"), f"{path}.deny")),
        )


@dataclass(frozen=True)
class ExecSettings:
    timeoutSeconds: float = 30.0
    maxOutputBytes: int = 64 * 1024


@dataclass(frozen=True)
class WebFetchSettings:
    maxBytes: int = 1024 * 1024
    timeoutSeconds: float = 30.0
    #: Loopback, private, link-local and other non-public targets are refused unless this is set.
    allowPrivateNetwork: bool = False
    maxRedirects: int = 3


@dataclass(frozen=True)
class Decision:
    allowed: bool
    #: The layer that refused (C{profile}, C{global}, C{provider}, C{agent}, C{channel}, C{http}) and how.
    layer: str | None = None
    rule: str | None = None

    @property
    def reason(self) -> str:
        return "allowed" if self.allowed else f"denied by {self.layer} {self.rule}"


@dataclass(frozen=True)
class ToolsSettings:
    """C{tools.*}, the per-agent C{tools} blocks and C{gateway.tools}, built once per snapshot."""

    profile: str | None = None
    globalPolicy: ToolPolicy = ToolPolicy()
    byProvider: Mapping[str, ToolPolicy] = field(default_factory=lambda: MappingProxyType({}))
    byAgent: Mapping[str, ToolPolicy] = field(default_factory=lambda: MappingProxyType({}))
    httpDeny: frozenset[str] = HTTP_DENY
    exec: ExecSettings = ExecSettings()
    webFetch: WebFetchSettings = WebFetchSettings()
    #: Model requests one run may make while the model keeps calling tools.
    maxSteps: int = 8

    def decide(
        self, agentId: str, name: str, surface: str = "agent", provider: str | None = None,
        channel: ToolPolicy | None = None,
    ) -> Decision:
        """Evaluate the chain for one tool (C{channel}: the chat group's layer); the first layer that refuses is named."""
        name = canonical(name)
        layers: list[tuple[str, ToolPolicy]] = [
            ("profile", ToolPolicy(profile=self.profile, alsoAllow=self.globalPolicy.alsoAllow)),
            ("global", ToolPolicy(allow=self.globalPolicy.allow, deny=self.globalPolicy.deny)),
        ]
        if provider is not None and provider in self.byProvider:
            layers.append(("provider", self.byProvider[provider]))
        if agentId in self.byAgent:
            layers.append(("agent", self.byAgent[agentId]))
        if channel is not None:
            layers.append(("channel", channel))
        for layer, policy in layers:
            rule = policy.refuses(name)
            if rule is not None:
                return Decision(False, layer, rule)
        if surface == "http" and name in self.httpDeny:
            return Decision(False, "http", "deny")
        return Decision(True)

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "ToolsSettings":
        tools = config_object(config.get("tools"), "tools")
        whole = ToolPolicy.fromConfig(tools, "tools")
        byProvider = {
            str(p).lower(): ToolPolicy.fromConfig(raw, f"tools.byProvider.{p}")
            for p, raw in config_object(tools.get("byProvider"), "tools.byProvider").items()
        }
        gatewayTools = config_object(config_object(config.get("gateway"), "gateway").get("tools"), "gateway.tools")
        httpDeny = (HTTP_DENY - expand(_names(gatewayTools.get("allow"), "gateway.tools.allow"))) | expand(
            _names(gatewayTools.get("deny"), "gateway.tools.deny"))
        execRaw = config_object(tools.get("exec"), "tools.exec")
        fetchRaw = config_object(config_object(tools.get("web"), "tools.web").get("fetch"), "tools.web.fetch")
        return cls(
            profile=whole.profile,
            globalPolicy=whole,
            byProvider=MappingProxyType(byProvider),
            byAgent=MappingProxyType(_agent_policies(config)),
            httpDeny=frozenset(httpDeny),
            exec=ExecSettings(
                timeoutSeconds=_number(execRaw.get("timeoutSeconds"), "tools.exec.timeoutSeconds", 30.0, 0.1, 3600),
                maxOutputBytes=int(_number(execRaw.get("maxOutputBytes"), "tools.exec.maxOutputBytes", 65536, 1, 16 << 20)),
            ),
            webFetch=WebFetchSettings(
                maxBytes=int(_number(fetchRaw.get("maxBytes"), "tools.web.fetch.maxBytes", 1 << 20, 1, 64 << 20)),
                timeoutSeconds=_number(fetchRaw.get("timeoutSeconds"), "tools.web.fetch.timeoutSeconds", 30.0, 0.1, 600),
                allowPrivateNetwork=_flag(fetchRaw.get("allowPrivateNetwork"), "tools.web.fetch.allowPrivateNetwork"),
            ),
            maxSteps=int(_number(tools.get("maxSteps"), "tools.maxSteps", 8, 1, 100)),
        )


def _agent_policies(config: Mapping[str, Any]) -> dict[str, ToolPolicy]:
    agents = config_object(config.get("agents"), "agents")
    policies: dict[str, ToolPolicy] = {}
    entries = agents.get("entries")
    if isinstance(entries, Mapping):
        for agentId, raw in entries.items():
            if isinstance(raw, Mapping) and raw.get("tools") is not None:
                policies[normalise_agent_id(agentId)] = ToolPolicy.fromConfig(raw["tools"], f"agents.entries.{agentId}.tools")
    elif isinstance(agents.get("list"), list):
        for i, raw in enumerate(agents["list"]):
            if isinstance(raw, Mapping) and raw.get("tools") is not None and "id" in raw:
                policies[normalise_agent_id(raw["id"])] = ToolPolicy.fromConfig(raw["tools"], f"agents.list[{i}].tools")
    return policies


def _names(raw: Any, path: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(n, str) and n.strip() for n in raw):
        raise AgentConfigError(f"{path} must be a list of tool names")
    return raw


def _number(raw: Any, path: str, default: float, low: float, high: float) -> float:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not low <= raw <= high:
        raise AgentConfigError(f"{path} must be a number from {low} to {high}")
    return float(raw)


def _flag(raw: Any, path: str) -> bool:
    if raw is None:
        return False
    if not isinstance(raw, bool):
        raise AgentConfigError(f"{path} must be true or false")
    return raw
