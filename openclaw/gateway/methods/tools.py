"""
C{tools.invoke} (write): one agent tool run directly from a connected client, on
the same code path as C{POST /tools/invoke} (L{openclaw.gateway.http.tools_invoke.invoke}:
the tool policy plus the HTTP deny list). The answer is always a successful
C{res}; a refused or failed call says so in the payload, with the reference's
error codes for the §5 error types.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.http.tools_invoke import Outcome, invoke
from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.protocol import scopes

_TEXT = {"type": "string", "minLength": 1}
#: The published C{ToolsInvokeParams}; C{confirm} and C{conversationReadOrigin} change nothing here.
PARAMS = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": _TEXT, "args": {"type": "object"}, "sessionKey": _TEXT, "agentId": _TEXT,
        "confirm": {"type": "boolean"}, "idempotencyKey": _TEXT,
        "conversationReadOrigin": {"const": "direct-operator"},
    },
    "additionalProperties": False,
}

#: The C{/tools/invoke} error type → the C{tools.invoke} error code.
ERROR_CODES = {
    "invalid_request": "validation_error",
    "not_found": "not_found",
    "tool_call_blocked": "forbidden",
    "tool_error": "internal_error",
}
SOURCE = "core"


def answer(outcome: Outcome, requested: str) -> dict[str, Any]:
    """The C{ToolsInvokeResult} of one invocation."""
    if outcome.ok:
        return {"ok": True, "toolName": outcome.toolName, "output": outcome.result, "source": SOURCE}
    return {
        "ok": False, "toolName": outcome.toolName or requested,
        "error": {"code": ERROR_CODES[outcome.errorType], "message": outcome.message},
    }


def register(registry: MethodRegistry, tree, shell) -> None:
    runtime = tree.agents

    async def tools_invoke(params: dict, ctx: CallContext) -> dict[str, Any]:
        return answer(await invoke(runtime, params), params["name"])

    registry.add("tools.invoke", scopes.WRITE, tools_invoke, PARAMS)
