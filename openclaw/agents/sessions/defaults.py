"""The model a session of an agent uses unless it chose another: C{defaults} of C{sessions.list} and C{chat.history}."""

from __future__ import annotations

from typing import Any

from openclaw.agents.models import ModelConfigError


def session_defaults(settings: Any, agentId: str) -> dict[str, Any]:
    """C{{modelProvider, model, contextTokens?}} of agent C{agentId} (C{{}} when its model ref is unusable)."""
    try:
        ref = settings.models.plan(settings.agents.modelChoice(agentId))[0]
    except ModelConfigError:
        return {}
    defaults: dict[str, Any] = {"modelProvider": ref.provider, "model": ref.model}
    provider = settings.models.providers.get(ref.provider)
    entry = provider.model(ref.model) if provider is not None else None
    if entry is not None and entry.contextWindow:
        defaults["contextTokens"] = entry.contextWindow
    return defaults
