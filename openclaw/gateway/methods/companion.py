"""
C{sessions.companion.state}: the side questions asked about a session and their
answers. Asking one (C{sessions.companion.ask}) is not served by this gateway, so
no session has any exchange and the list is empty.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.protocol import scopes

PARAMS = {
    "type": "object",
    "required": ["sessionKey"],
    "properties": {"sessionKey": {"type": "string", "minLength": 1}, "agentId": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
}


def register(registry: MethodRegistry, tree, shell) -> None:
    def state(params: dict, ctx: CallContext) -> dict[str, Any]:
        return {"exchanges": []}

    registry.add("sessions.companion.state", scopes.READ, state, PARAMS)
