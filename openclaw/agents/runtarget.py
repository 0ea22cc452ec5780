"""
Which agent and session a run request names, decided from one settings snapshot:
the gateway's run and session methods and the embedding API (L{openclaw.agents.embed})
share this one decision.
"""

from __future__ import annotations

from typing import Any

from openclaw.agents.models import ModelConfigError
from openclaw.agents.sessionkeys import GLOBAL_KEY, agent_of, main_key, scoped_key
from openclaw.agents.settings import AgentConfigError, normalise_agent_id


class TargetError(ValueError):
    """The request names no configured agent, or a session of another agent; C{details} for the wire."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details


def run_target(settings: Any, agentId: str | None, sessionKey: str | None) -> tuple[str, str]:
    """
    The configured agent and the full session key of a request: a key without the
    C{agent:} prefix belongs to C{agentId} (default: the default agent); without a
    key, the agent's main session.
    """
    agents = settings.agents
    if agentId is not None:
        try:
            agentId = normalise_agent_id(agentId)
        except AgentConfigError as e:
            raise TargetError(str(e)) from None
    if sessionKey is None or not sessionKey.strip():
        agentId = agentId or agents.defaultAgentId
        key = main_key(agentId, settings.session)
    else:
        key = scoped_key(sessionKey, agentId or agents.defaultAgentId)
        owner = agent_of(key, agentId or agents.defaultAgentId)
        if agentId is not None and owner != agentId and key != GLOBAL_KEY:
            raise TargetError(f'sessionKey "{key}" belongs to agent "{owner}", not "{agentId}"')
        agentId = owner
    if agents.agent(agentId) is None:
        raise TargetError(f'unknown agent id "{agentId}"', {"code": "UNKNOWN_AGENT_ID", "agentId": agentId})
    return agentId, key


def run_model(settings: Any, model: str | None, provider: str | None = None) -> str | None:
    """
    A per-run model ref (C{provider} names the provider of a bare C{model}), checked
    against the configured providers; None when the request names none.
    """
    if model and provider and "/" not in model:
        model = f"{provider}/{model}"
    if not model:
        return None
    models = settings.models
    try:
        models.provider(models.resolve(model))
    except ModelConfigError as e:
        raise TargetError(f"invalid agent params: {e}") from None
    return model
