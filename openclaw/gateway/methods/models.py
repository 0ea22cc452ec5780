"""
C{models.list}: the models the config names (L{openclaw.agents.catalog}), for one
agent (named, or the agent of a session key, or the default agent); and
C{chat.metadata}, what the chat composer may offer for that agent: the same models
and the slash commands C{chat.send} understands.
"""

from __future__ import annotations

from typing import Any

from openclaw.agents.catalog import MODEL_VIEWS, UnknownAgent, model_rows
from openclaw.agents.models import ModelConfigError
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.gateway.methods.agents import AGENT_ID, SESSION_KEY, agent_for, unknown_agent
from openclaw.gateway.methods.chat import STOP_COMMAND
from openclaw.protocol import scopes
from openclaw.protocol.errors import UNAVAILABLE, GatewayError

#: The slash commands C{chat.send} acts on instead of starting a run: (text, description, category).
CHAT_COMMANDS = ((STOP_COMMAND, "Abort the run in progress in this session.", "session"),)


def command_row(text: str, description: str, category: str) -> dict[str, Any]:
    """One slash command as C{chat.metadata} lists it (none of ours takes arguments)."""
    name = text.lstrip("/")
    return {
        "name": name,
        "nativeName": name,
        "textAliases": [text],
        "description": description,
        "category": category,
        "source": "native",
        "scope": "both",
        "acceptsArgs": False,
    }


def catalog_rows(settings: Any, params: dict, view: str = "default") -> list[dict[str, Any]]:
    """L{model_rows} for the request's agent, with the protocol's errors."""
    try:
        return model_rows(settings, agent_for(settings, params), view)
    except UnknownAgent as e:
        raise unknown_agent(e) from None
    except ModelConfigError as e:
        raise GatewayError(UNAVAILABLE, f"models unavailable: {e}") from None


def register(registry: MethodRegistry, tree, shell) -> None:
    def list_models(params: dict, ctx: CallContext) -> dict[str, Any]:
        return {"models": catalog_rows(tree.settings, params, params.get("view", "default"))}

    def chat_metadata(params: dict, ctx: CallContext) -> dict[str, Any]:
        return {
            "models": catalog_rows(tree.settings, params),
            "commands": [command_row(*command) for command in CHAT_COMMANDS],
            # no agent swarms, no per-session runtime choice here
            "swarmEnabled": False,
            "runtimeSelectionLocked": False,
        }

    registry.add("chat.metadata", scopes.READ, chat_metadata, closed(agentId=AGENT_ID, sessionKey=SESSION_KEY))
    registry.add(
        "models.list",
        scopes.READ,
        list_models,
        closed(
            agentId=AGENT_ID,
            # the 2026.9 Control UI also names the session it shows
            sessionKey=SESSION_KEY,
            view={"enum": list(MODEL_VIEWS)},
            includeProviderCapabilities={"type": "boolean"},
            preparedOnly={"type": "boolean"},
            refresh={"type": "boolean"},
        ),
    )
