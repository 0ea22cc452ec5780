"""
The agent-side sections of one settings snapshot: C{agents} (the agents, their
defaults and heartbeat), C{session} (how session keys are formed, reset and kept)
and C{messages.queue} (what a message does while a run is active).

Agents come from C{agents.entries} (a map keyed by id) or the legacy
C{agents.list} (a list whose C{default: true} entry, else its first, is the
default). With neither, there is one implicit agent C{main}.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openclaw.agents.models import ModelChoice, ModelConfigError, model_choice
from openclaw.agents.models import config_object as _mapping

DEFAULT_AGENT_ID = "main"
DEFAULT_HEARTBEAT_EVERY = "30m"
DEFAULT_HEARTBEAT_EVERY_MS = 1_800_000
DEFAULT_HEARTBEAT_TARGET = "owner"
#: A heartbeat reply that is (or starts or ends with) this token says "nothing needs attention".
HEARTBEAT_TOKEN = "HEARTBEAT_OK"
DEFAULT_HEARTBEAT_PROMPT = (
    "This is a scheduled heartbeat. Check HEARTBEAT.md in your workspace and act on what it lists now; "
    "do not revive tasks from earlier conversations. If nothing needs attention, reply " + HEARTBEAT_TOKEN + "."
)
DEFAULT_ACK_MAX_CHARS = 300
#: 48 hours; 0 means no limit.
DEFAULT_TIMEOUT_SECONDS = 172_800
DAY_MS = 86_400_000

_AGENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
QUEUE_MODES = ("steer", "followup", "collect", "interrupt")


class AgentConfigError(ModelConfigError):
    """The agents, session or messages config cannot be used; the message names the path."""


def normalise_agent_id(raw: Any) -> str:
    """An agent id as the gateway keys it: trimmed, lower-cased, C{[a-z0-9][a-z0-9_-]{0,63}}."""
    text = str(raw).strip().lower() if isinstance(raw, str) else ""
    if not _AGENT_ID.fullmatch(text):
        raise AgentConfigError(f"invalid agent id {raw!r}: use a-z, 0-9, _ and -, starting with a letter or digit")
    return text


def default_max_concurrent() -> int:
    return max(8, (os.cpu_count() or 1) * 4)


@dataclass(frozen=True)
class AgentEntry:
    id: str
    name: str | None = None
    #: The agent's workspace directory (absolute).
    workspace: str = ""
    #: The agent's own model: strict (no fallbacks) when configured as a plain string.
    model: ModelChoice | None = None
    #: C{{name?, emoji?, theme?, avatar?}} as configured.
    identity: Mapping[str, Any] | None = None
    #: The agent's own C{heartbeat} block merged over C{agents.defaults.heartbeat}; None: it has none.
    heartbeat: "HeartbeatSettings | None" = None


@dataclass(frozen=True)
class ActiveHours:
    """The local window heartbeats run in: C{start} <= time < C{end}, in minutes after midnight (wraps midnight)."""

    start: int
    end: int
    #: An IANA zone name; None: the host's local time.
    timezone: str | None = None

    def contains(self, epochSeconds: float) -> bool:
        zone = ZoneInfo(self.timezone) if self.timezone else None
        moment = datetime.fromtimestamp(epochSeconds, zone or timezone.utc)
        if zone is None:
            moment = moment.astimezone()
        minute = moment.hour * 60 + moment.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class HeartbeatSettings:
    every: str = DEFAULT_HEARTBEAT_EVERY
    #: C{every} in milliseconds; 0: heartbeats are off.
    everyMs: int = DEFAULT_HEARTBEAT_EVERY_MS
    #: The configured prompt; empty: L{DEFAULT_HEARTBEAT_PROMPT} (see L{promptText}).
    prompt: str = ""
    #: C{none} (run, deliver nowhere), C{owner}/C{last}/C{webchat} (the heartbeat's own session) or a channel id.
    target: str = DEFAULT_HEARTBEAT_TARGET
    ackMaxChars: int = DEFAULT_ACK_MAX_CHARS
    #: The chat a channel target delivers to, and the channel account (None: the channel's default).
    to: str | None = None
    accountId: str | None = None
    #: The session heartbeats run in; None: the agent's main session.
    session: str | None = None
    activeHours: ActiveHours | None = None

    @property
    def promptText(self) -> str:
        return self.prompt or DEFAULT_HEARTBEAT_PROMPT


@dataclass(frozen=True)
class AgentDefaults:
    model: ModelChoice | None = None
    workspace: str = ""
    timeoutSeconds: int = DEFAULT_TIMEOUT_SECONDS
    maxConcurrent: int = field(default_factory=default_max_concurrent)


@dataclass(frozen=True)
class AgentsSettings:
    """The configured agents (at least the default one), their defaults and shared heartbeat."""

    agents: tuple[AgentEntry, ...] = (AgentEntry(DEFAULT_AGENT_ID),)
    defaultAgentId: str = DEFAULT_AGENT_ID
    heartbeat: HeartbeatSettings = HeartbeatSettings()
    defaults: AgentDefaults = AgentDefaults()

    def agent(self, agentId: str) -> AgentEntry | None:
        return next((a for a in self.agents if a.id == agentId), None)

    def heartbeatFor(self, agentId: str) -> HeartbeatSettings:
        """The agent's own heartbeat settings, else the defaults'."""
        entry = self.agent(agentId)
        return (entry.heartbeat if entry else None) or self.heartbeat

    def heartbeatScheduled(self, agentId: str) -> bool:
        """
        Whether C{agentId} beats on the timer: when some agent has a C{heartbeat}
        block, exactly those agents do; otherwise the default agent alone.
        """
        if any(a.heartbeat is not None for a in self.agents):
            entry = self.agent(agentId)
            return entry is not None and entry.heartbeat is not None
        return agentId == self.defaultAgentId

    def modelChoice(self, agentId: str) -> ModelChoice | None:
        """The agent's own model (strict), else the defaults' (None: the models section's default)."""
        entry = self.agent(agentId)
        return (entry.model if entry else None) or self.defaults.model

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any], stateDir: str = "", environ: Mapping[str, str] = {}) -> "AgentsSettings":
        section = _mapping(config.get("agents"), "agents")
        defaults = _mapping(section.get("defaults"), "agents.defaults")
        defaultWorkspace = _path(defaults.get("workspace"), "agents.defaults.workspace") or environ.get(
            "OPENCLAW_WORKSPACE_DIR"
        ) or os.path.join(stateDir, "workspace")
        raw = _raw_entries(section)
        defaultId = next((i for i, e in raw if e.get("default") is True), raw[0][0] if raw else DEFAULT_AGENT_ID)
        if not raw:
            raw = [(DEFAULT_AGENT_ID, {})]
        heartbeat = _mapping(defaults.get("heartbeat"), "agents.defaults.heartbeat")
        agents = tuple(
            _entry(agentId, entry, defaultWorkspace if agentId == defaultId else os.path.join(stateDir, f"workspace-{agentId}"),
                   heartbeat)
            for agentId, entry in raw
        )
        return cls(
            agents=agents,
            defaultAgentId=defaultId,
            heartbeat=heartbeat_settings(heartbeat, "agents.defaults.heartbeat"),
            defaults=AgentDefaults(
                model=model_choice(defaults.get("model"), "agents.defaults.model"),
                workspace=defaultWorkspace,
                timeoutSeconds=whole_number(
                    defaults.get("timeoutSeconds"), "agents.defaults.timeoutSeconds", DEFAULT_TIMEOUT_SECONDS, 0),
                maxConcurrent=whole_number(
                    defaults.get("maxConcurrent"), "agents.defaults.maxConcurrent", default_max_concurrent(), 1),
            ),
        )


def _raw_entries(section: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(id, entry) pairs of C{agents.entries} (map) or the legacy C{agents.list}, in order, ids normalised."""
    entries = section.get("entries")
    if entries is not None:
        return [(normalise_agent_id(k), _mapping(v, f"agents.entries.{k}")) for k, v in _mapping(entries, "agents.entries").items()]
    listed = section.get("list")
    if listed is None:
        return []
    if not isinstance(listed, list):
        raise AgentConfigError("agents.list must be a list")
    pairs = []
    for i, entry in enumerate(listed):
        if isinstance(entry, Mapping) and entry.get("id"):
            pairs.append((normalise_agent_id(entry["id"]), entry))
    return pairs


def _entry(agentId: str, raw: Mapping[str, Any], workspace: str, defaultHeartbeat: Mapping[str, Any]) -> AgentEntry:
    path = f"agents.entries.{agentId}"
    identity = raw.get("identity")
    if identity is not None and not isinstance(identity, Mapping):
        raise AgentConfigError(f"{path}.identity must be an object")
    ownHeartbeat = raw.get("heartbeat")
    heartbeat = None if ownHeartbeat is None else heartbeat_settings(
        {**defaultHeartbeat, **_mapping(ownHeartbeat, f"{path}.heartbeat")}, f"{path}.heartbeat")
    return AgentEntry(
        id=agentId,
        name=raw.get("name") or None,
        workspace=_path(raw.get("workspace"), f"{path}.workspace") or workspace,
        model=model_choice(raw.get("model"), f"{path}.model"),
        identity=MappingProxyType(dict(identity)) if identity else None,
        heartbeat=heartbeat,
    )


def heartbeat_settings(raw: Mapping[str, Any], path: str) -> HeartbeatSettings:
    """A C{heartbeat} block (the defaults', or an agent's merged over them), checked."""
    every = raw.get("every", DEFAULT_HEARTBEAT_EVERY)
    if not isinstance(every, str):
        raise AgentConfigError(f"{path}.every must be a duration such as 30m or 1h (0m turns heartbeats off)")
    off = re.fullmatch(r"\s*0+\s*(ms|s|m|h|d|w)?\s*", every)
    hours = raw.get("activeHours")
    return HeartbeatSettings(
        every=every.strip(),
        everyMs=0 if off else _duration_ms(every, f"{path}.every", DEFAULT_HEARTBEAT_EVERY_MS),
        prompt=_text(raw.get("prompt"), f"{path}.prompt") or "",
        target=_text(raw.get("target"), f"{path}.target") or DEFAULT_HEARTBEAT_TARGET,
        ackMaxChars=whole_number(raw.get("ackMaxChars"), f"{path}.ackMaxChars", DEFAULT_ACK_MAX_CHARS, 0),
        to=_text(raw.get("to"), f"{path}.to"),
        accountId=_text(raw.get("accountId"), f"{path}.accountId"),
        session=_text(raw.get("session"), f"{path}.session"),
        activeHours=None if hours is None else _active_hours(_mapping(hours, f"{path}.activeHours"), f"{path}.activeHours"),
    )


def _active_hours(raw: Mapping[str, Any], path: str) -> ActiveHours:
    start = _clock_minutes(raw.get("start"), f"{path}.start", allowEndOfDay=False)
    end = _clock_minutes(raw.get("end"), f"{path}.end", allowEndOfDay=True)
    if start == end:
        raise AgentConfigError(f"{path}: start and end must differ")
    zone = raw.get("timezone")
    if zone in (None, "local", "user"):
        return ActiveHours(start, end)
    try:
        ZoneInfo(zone if isinstance(zone, str) else "")
    except (ZoneInfoNotFoundError, ValueError):
        raise AgentConfigError(f"{path}.timezone must be an IANA time zone such as Europe/Berlin (got {zone!r})") from None
    return ActiveHours(start, end, zone)


def _clock_minutes(raw: Any, path: str, allowEndOfDay: bool) -> int:
    """C{HH:MM} (24-hour; C{24:00} only as an end) as minutes after midnight."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw) if isinstance(raw, str) else None
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match and int(match.group(2)) < 60 else -1
    if not 0 <= minutes < 1440 and not (allowEndOfDay and minutes == 1440):
        raise AgentConfigError(f"{path} must be a time of day such as 08:00" + (" (or 24:00)" if allowEndOfDay else ""))
    return minutes


def _text(raw: Any, path: str) -> str | None:
    """An optional non-empty string setting, trimmed."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise AgentConfigError(f"{path} must be a non-empty string")
    return raw.strip()


# -- session ---------------------------------------------------------------------------

SESSION_SCOPES = ("per-sender", "global")
DM_SCOPES = ("main", "per-peer", "per-channel-peer", "per-account-channel-peer")
GROUP_SCOPES = ("per-group", "main")
RESET_MODES = ("none", "daily", "idle")


@dataclass(frozen=True)
class ResetPolicy:
    mode: str = "none"
    #: Local hour of the daily reset.
    atHour: int = 4
    idleMinutes: int | None = None


@dataclass(frozen=True)
class Maintenance:
    pruneAfterMs: int = 30 * DAY_MS
    maxEntries: int = 5000


@dataclass(frozen=True)
class SessionSettings:
    scope: str = "per-sender"
    mainKey: str = "main"
    dmScope: str = "main"
    groupScope: str = "per-group"
    #: canonical peer → the channel identities (C{telegram:123}) that are that peer.
    identityLinks: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    reset: ResetPolicy = ResetPolicy()
    maintenance: Maintenance = Maintenance()

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "SessionSettings":
        section = _mapping(config.get("session"), "session")
        links = _mapping(section.get("identityLinks"), "session.identityLinks")
        reset = _mapping(section.get("reset"), "session.reset")
        maintenance = _mapping(section.get("maintenance"), "session.maintenance")
        mainKey = section.get("mainKey", "main")
        if not isinstance(mainKey, str) or not mainKey.strip() or ":" in mainKey:
            raise AgentConfigError("session.mainKey must be a name without ':'")
        idle = reset.get("idleMinutes")
        return cls(
            scope=_choice(section, "scope", SESSION_SCOPES, "session"),
            mainKey=mainKey.strip().lower(),
            dmScope=_choice(section, "dmScope", DM_SCOPES, "session"),
            groupScope=_choice(section, "groupScope", GROUP_SCOPES, "session"),
            identityLinks=MappingProxyType({
                str(peer).lower(): tuple(str(i).lower() for i in _list(ids, f"session.identityLinks.{peer}"))
                for peer, ids in links.items()
            }),
            reset=ResetPolicy(
                mode=_choice(reset, "mode", RESET_MODES, "session.reset"),
                atHour=whole_number(reset.get("atHour"), "session.reset.atHour", 4, 0, 23),
                idleMinutes=None if idle is None else whole_number(idle, "session.reset.idleMinutes", 0, 1),
            ),
            maintenance=Maintenance(
                pruneAfterMs=_duration_ms(maintenance.get("pruneAfter"), "session.maintenance.pruneAfter", 30 * DAY_MS),
                maxEntries=whole_number(maintenance.get("maxEntries"), "session.maintenance.maxEntries", 5000, 1),
            ),
        )


# -- messages.queue ---------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSettings:
    """C{messages.queue}: what a message does while its session has an active run."""

    mode: str = "steer"
    byChannel: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def modeFor(self, channel: str | None) -> str:
        return self.byChannel.get(channel, self.mode) if channel else self.mode

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "QueueSettings":
        queue = _mapping(_mapping(config.get("messages"), "messages").get("queue"), "messages.queue")
        byChannel = _mapping(queue.get("byChannel"), "messages.queue.byChannel")
        for channel, mode in byChannel.items():
            if mode not in QUEUE_MODES:
                raise AgentConfigError(f"messages.queue.byChannel.{channel} must be one of {', '.join(QUEUE_MODES)}")
        return cls(
            mode=_choice(queue, "mode", QUEUE_MODES, "messages.queue"),
            byChannel=MappingProxyType({str(k): str(v) for k, v in byChannel.items()}),
        )


# -- value checks -----------------------------------------------------------------------

_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": DAY_MS, "w": 7 * DAY_MS}


def _duration_ms(raw: Any, path: str, default: int) -> int:
    """C{30d}, C{12h}, C{90m} ... or a number of milliseconds."""
    if raw is None:
        return default
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw
    match = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|h|d|w)\s*", raw) if isinstance(raw, str) else None
    if not match or int(match.group(1)) <= 0:
        raise AgentConfigError(f"{path} must be a duration such as 30d, 12h or 90m")
    return int(match.group(1)) * _UNITS_MS[match.group(2)]


def whole_number(raw: Any, path: str, default: int, low: int, high: int | None = None) -> int:
    """C{raw} when it is an int in C{[low, high]}, C{default} when unset; else an error naming C{path}."""
    if raw is None:
        return default
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < low or (high is not None and raw > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise AgentConfigError(f"{path} must be a whole number {bound}")
    return raw


def _choice(section: Mapping[str, Any], key: str, choices: tuple[str, ...], path: str) -> str:
    value = section.get(key, choices[0])
    if value not in choices:
        raise AgentConfigError(f"{path}.{key} must be one of {', '.join(choices)} (got {value!r})")
    return value


def _path(raw: Any, path: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise AgentConfigError(f"{path} must be a directory path")
    return os.path.abspath(os.path.expanduser(raw))


def _list(raw: Any, path: str) -> list[Any]:
    if not isinstance(raw, list):
        raise AgentConfigError(f"{path} must be a list")
    return raw
