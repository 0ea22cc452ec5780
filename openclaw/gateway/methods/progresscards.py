"""
C{progressCard.get}: the progress card an agent keeps for a session (its plan and
the steps done). A run sets it through a tool, and this gateway runs no tools yet,
so no session has one: the card is null.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.protocol import scopes

PARAMS = {
    "type": "object",
    "required": ["sessionKey"],
    "properties": {"sessionKey": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}


def register(registry: MethodRegistry, tree, shell) -> None:
    def card(params: dict, ctx: CallContext) -> dict[str, Any]:
        return {"card": None}

    registry.add("progressCard.get", scopes.READ, card, PARAMS)
