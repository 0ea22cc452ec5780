"""
C{sessions_list}, C{sessions_history} and C{session_status}: the agent reads
its own sessions from the runtime's store (never another agent's).
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from twisted.internet.defer import Deferred

from openclaw.agents.sessionkeys import agent_of, scoped_key
from openclaw.agents.sessions.display import history_messages
from openclaw.agents.tools.base import AgentTool, ToolContext, ToolError, ToolResult, int_arg, string_arg


def _runtime(context: ToolContext) -> Any:
    if context.runtime is None:
        raise ToolError("sessions are not available here")
    return context.runtime


def _own_key(args: Mapping[str, Any], context: ToolContext) -> str:
    """The session named by C{sessionKey} (default: the caller's), which must belong to the caller's agent."""
    raw = string_arg(args, "sessionKey", required=False) or context.sessionKey
    key = scoped_key(raw, context.agentId)
    if agent_of(key, context.agentId) != context.agentId:
        raise ToolError("that session belongs to another agent")
    return key


def _json(details: Mapping[str, Any]) -> ToolResult:
    return ToolResult(json.dumps(details, ensure_ascii=False, default=str), details)


class SessionsListTool(AgentTool):
    name = "sessions_list"
    description = "List this agent's sessions, newest first. Optional limit and search text."
    parameters = {
        "type": "object",
        "properties": {"limit": {"type": "integer"}, "search": {"type": "string"}},
    }

    def run(self, args: Mapping[str, Any], context: ToolContext) -> Deferred:
        runtime = _runtime(context)
        limit = int_arg(args, "limit", 20, 1, 200)
        search = string_arg(args, "search", required=False)
        d = runtime.stores.store(context.agentId).list(limit, 0, search)

        def listed(result: tuple[list[Any], int]) -> ToolResult:
            entries, total = result
            rows = [runtime.bus.row(e, runtime.runs.activeRunIds(e.key)) for e in entries]
            return _json({"count": total, "sessions": rows})

        return d.addCallback(listed)


class SessionsHistoryTool(AgentTool):
    name = "sessions_history"
    description = "Read the latest messages of one of this agent's sessions (default: the current one)."
    parameters = {
        "type": "object",
        "properties": {"sessionKey": {"type": "string"}, "limit": {"type": "integer"}},
    }

    def run(self, args: Mapping[str, Any], context: ToolContext) -> Deferred:
        runtime = _runtime(context)
        key = _own_key(args, context)
        limit = int_arg(args, "limit", 20, 1, 200)
        d = runtime.stores.store(context.agentId).transcript(key, limit)
        return d.addCallback(lambda entries: _json({"sessionKey": key, "messages": history_messages(entries)}))


class SessionStatusTool(AgentTool):
    name = "session_status"
    description = "Show the status of the current session (or the one named): model, tokens, last run."
    parameters = {"type": "object", "properties": {"sessionKey": {"type": "string"}}}

    def run(self, args: Mapping[str, Any], context: ToolContext) -> Deferred:
        runtime = _runtime(context)
        key = _own_key(args, context)

        def found(entry: Any) -> ToolResult:
            if entry is None:
                raise ToolError(f"no session {key}")
            return _json(runtime.bus.row(entry, runtime.runs.activeRunIds(key)))

        return runtime.stores.store(context.agentId).get(key).addCallback(found)
