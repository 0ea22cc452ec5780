"""
What a client may learn about the configured agents and models, read from one
settings snapshot: the rows of C{agents.list} and C{agent.identity.get}, and the
model rows of C{models.list} and C{chat.metadata}. Pure functions, no I/O.

There is no built-in model catalog here: the gateway knows the models its config
names (the agents' primary and fallback refs, the aliases, and the models each
provider declares under C{models.providers}), and lists exactly those.
"""

from __future__ import annotations

from typing import Any, Iterator

from openclaw.agents.models import BUILTIN_PROVIDERS, ModelChoice, ModelEntry, ModelRef, ModelsSettings
from openclaw.agents.settings import AgentConfigError, AgentEntry, normalise_agent_id

#: The providers stream no reasoning-effort setting, so "off" is the one thinking level.
THINKING_LEVELS = ({"id": "off", "label": "off"},)
THINKING_DEFAULT = "off"

#: The name an agent goes by when its config gives none (the reference gateway's default).
DEFAULT_AGENT_NAME = "Assistant"

#: C{models.list} views. Without a built-in catalog, C{default} and C{all} list what
#: C{configured} lists; C{provider-config} only the models declared under a provider.
MODEL_VIEWS = ("default", "configured", "provider-config", "all")

#: The fields of C{identity} the protocol lets C{agents.list} carry.
_IDENTITY_FIELDS = ("name", "theme", "emoji", "avatar", "avatarUrl")


class UnknownAgent(LookupError):
    """No configured agent has this id."""

    def __init__(self, agentId: str) -> None:
        super().__init__(agentId)
        self.agentId = agentId


# agents ---------------------------------------------------------------------------


def agent_entry(settings: Any, agentId: str | None) -> AgentEntry:
    """The configured agent C{agentId} (the default agent when None); L{UnknownAgent} otherwise."""
    agents = settings.agents
    wanted = agentId or agents.defaultAgentId
    try:
        entry = agents.agent(normalise_agent_id(wanted))
    except AgentConfigError:
        entry = None
    if entry is None:
        raise UnknownAgent(wanted)
    return entry


def _identity(entry: AgentEntry) -> dict[str, str]:
    raw = entry.identity or {}
    return {k: raw[k] for k in _IDENTITY_FIELDS if isinstance(raw.get(k), str) and raw[k].strip()}


def _choice(settings: Any, agentId: str) -> ModelChoice:
    return settings.agents.modelChoice(agentId) or settings.models.default


def agent_row(settings: Any, entry: AgentEntry) -> dict[str, Any]:
    """One agent as C{agents.list} shows it."""
    choice = _choice(settings, entry.id)
    model: dict[str, Any] = {"primary": choice.primary}
    if choice.fallbacks:
        model["fallbacks"] = list(choice.fallbacks)
    row: dict[str, Any] = {"id": entry.id, "kind": "agent"}
    if entry.name:
        row["name"] = entry.name
    identity = _identity(entry)
    if identity:
        row["identity"] = identity
    row.update(
        workspace=entry.workspace,
        model=model,
        thinkingLevels=[dict(level) for level in THINKING_LEVELS],
        thinkingOptions=[level["id"] for level in THINKING_LEVELS],
        thinkingDefault=THINKING_DEFAULT,
    )
    return row


def agents_list(settings: Any) -> dict[str, Any]:
    """The C{agents.list} answer: every configured agent, in config order."""
    agents = settings.agents
    return {
        "defaultId": agents.defaultAgentId,
        "mainKey": settings.session.mainKey,
        "scope": settings.session.scope,
        "agents": [agent_row(settings, entry) for entry in agents.agents],
    }


def agent_identity(settings: Any, agentId: str | None) -> dict[str, Any]:
    """
    The C{agent.identity.get} answer: the name from C{identity.name}, else the
    agent's C{name} (both C{config}), else the default name; the avatar is the
    configured one or the name's first letter.
    """
    entry = agent_entry(settings, agentId)
    identity = _identity(entry)
    name = identity.get("name") or entry.name
    answer: dict[str, Any] = {
        "agentId": entry.id,
        "name": name or DEFAULT_AGENT_NAME,
        "nameSource": "config" if name else "default",
        "avatar": identity.get("avatar") or (name or DEFAULT_AGENT_NAME)[0].upper(),
    }
    if "emoji" in identity:
        answer["emoji"] = identity["emoji"]
    return answer


# models ---------------------------------------------------------------------------


def _configured_refs(settings: Any, models: ModelsSettings) -> Iterator[ModelRef]:
    """Every model ref the config names: each agent's plan, the aliases, the declared models."""
    for entry in settings.agents.agents:
        yield from models.plan(_choice(settings, entry.id))
    for target in models.aliases.values():
        yield models.resolve(target)
    yield from _declared_refs(models)


def _declared_refs(models: ModelsSettings) -> Iterator[ModelRef]:
    for provider in models.providers.values():
        for entry in provider.models:
            yield ModelRef(provider.id, entry.id)


def _needs_key(models: ModelsSettings, ref: ModelRef) -> bool:
    """A hosted built-in provider answers nothing without a key; a self-hosted or custom one may."""
    builtin = BUILTIN_PROVIDERS.get(ref.provider)
    return builtin is not None and not builtin.selfHosted and models.providers[ref.provider].apiKey is None


def model_row(models: ModelsSettings, ref: ModelRef, plan: tuple[ModelRef, ...]) -> dict[str, Any]:
    """
    One model as C{models.list} and C{chat.metadata} show it, tagged by its place in
    the agent's C{plan}. A model of a provider the config does not have is listed
    as unavailable; one of a hosted provider without a key as C{missing-auth}.
    """
    provider = models.providers.get(ref.provider)
    entry: ModelEntry | None = provider.model(ref.model) if provider is not None else None
    row: dict[str, Any] = {"id": ref.model, "name": entry.name if entry else ref.model, "provider": ref.provider}
    alias = next((a for a, target in models.aliases.items() if models.resolve(target) == ref), None)
    if alias is not None:
        row["alias"] = alias
    tags = ["default"] if ref == plan[0] else ["fallback"] if ref in plan else []
    if tags:
        row["tags"] = tags
    if entry is not None and entry.contextWindow:
        row["contextWindow"] = entry.contextWindow
    missingKey = provider is not None and _needs_key(models, ref)
    row.update(
        reasoning=bool(entry and entry.reasoning),
        thinkingLevels=[dict(level) for level in THINKING_LEVELS],
        thinkingDefault=THINKING_DEFAULT,
        available=provider is not None and not missingKey,
    )
    if missingKey:
        row["unavailableReason"] = "missing-auth"
    return row


def model_rows(settings: Any, agentId: str | None, view: str = "default") -> list[dict[str, Any]]:
    """
    The models C{view} lists for C{agentId} (the default agent when None), each once.
    Raises L{ModelConfigError} when the config names a model ref that does not resolve.
    """
    if view not in MODEL_VIEWS:
        raise ValueError(f"unknown models view {view!r}")
    entry = agent_entry(settings, agentId)
    models: ModelsSettings = settings.models
    refs = _declared_refs(models) if view == "provider-config" else _configured_refs(settings, models)
    plan = models.plan(_choice(settings, entry.id))
    return [model_row(models, ref, plan) for ref in dict.fromkeys(refs)]


__all__ = [
    "DEFAULT_AGENT_NAME",
    "MODEL_VIEWS",
    "THINKING_DEFAULT",
    "THINKING_LEVELS",
    "UnknownAgent",
    "agent_entry",
    "agent_identity",
    "agent_row",
    "agents_list",
    "model_row",
    "model_rows",
]

