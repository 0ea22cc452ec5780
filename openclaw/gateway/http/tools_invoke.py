"""
C{POST /tools/invoke} (http-api.md §5): one agent tool run directly, without a
model turn, under the agent's tool policy plus the HTTP hard deny list.

L{invoke} is the one code path behind this route and the WebSocket
C{tools.invoke} method (L{openclaw.gateway.methods.tools}); both hand the tool to
L{openclaw.agents.tools.registry.ToolRegistry.invoke} with the surface C{"http"}.
An L{Outcome} carries the HTTP status and the error type of the §5 table:

    400 invalid_request     no tool name, an unknown agent, an agent that does
                            not own the session key
    400 tool_error          the tool refused its arguments
    404 not_found           no such tool, or the policy chain refuses it here
    500 tool_error          the tool broke ("tool execution failed")
    200                     the tool's result (C{content}, C{details})
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from klein import Klein
from twisted.internet.defer import CancelledError, Deferred
from twisted.web.iweb import IRequest

from openclaw.agents.sessionkeys import GLOBAL_KEY, agent_of, scoped_key
from openclaw.agents.settings import AgentConfigError, normalise_agent_id
from openclaw.agents.tools.registry import ToolUnavailable
from openclaw.gateway.http.auth import BearerAuth, refuse
from openclaw.gateway.http.body import MIB, BodyError, read_json
from openclaw.gateway.http.responses import json_response, method_not_allowed

MAX_BODY_BYTES = 2 * MIB
#: The session C{sessionKey} omitted or C{"main"} names (a custom C{session.mainKey} plays no part here).
MAIN = "main"


@dataclass(frozen=True)
class Outcome:
    """What one invocation came to: the HTTP status, and the result or the error."""

    status: int
    toolName: str
    result: Mapping[str, Any] | None = None
    errorType: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def httpBody(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "result": self.result}
        return {"ok": False, "error": {"type": self.errorType, "message": self.message}}


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Any) -> str | None:
    """A non-empty string stripped, else None (other types count as absent, as the reference reads them)."""
    return value.strip() or None if isinstance(value, str) else None


def tool_target(runtime: Any, agentId: str | None, sessionKey: str | None) -> tuple[str, str]:
    """
    The agent and the full session key an invocation runs in. C{sessionKey}
    omitted or C{main} is the agent's canonical main session; a key naming another
    agent than C{agentId} is refused, as is an agent that is not configured.
    """
    agents = runtime.settings.agents
    if agentId is not None:
        try:
            requested = normalise_agent_id(agentId)
        except AgentConfigError:
            raise _Refused(f'Unknown agent id "{agentId}"') from None
        if agents.agent(requested) is None:
            raise _Refused(f'Unknown agent id "{agentId}"')
        agentId = requested
    raw = (sessionKey or MAIN).lower()
    owner = agent_of(raw, "") or None
    if agentId is not None and owner is not None and owner != agentId:
        raise _Refused(f'agent id "{agentId}" does not match session agent "{owner}"')
    agent = agentId or owner or agents.defaultAgentId
    if agents.agent(agent) is None:
        raise _Refused(f'Unknown agent id "{agent}"')
    if raw == MAIN:
        return agent, GLOBAL_KEY if runtime.settings.session.scope == "global" else f"agent:{agent}:{MAIN}"
    return agent, scoped_key(raw, agent)


def _with_action(parameters: Mapping[str, Any], args: Mapping[str, Any], action: str | None) -> Mapping[str, Any]:
    """C{action} copied into the arguments when the tool's schema has one and they lack it."""
    if action is None or "action" in args or "action" not in (parameters.get("properties") or {}):
        return args
    return {**args, "action": action}


async def invoke(runtime: Any, body: Mapping[str, Any]) -> Outcome:
    """
    Run the tool a request names (C{name}, else C{tool}) with C{args} in the
    session of C{sessionKey}/C{agentId}. Cancelling it stops the tool.
    """
    name = _text(body.get("name")) or _text(body.get("tool"))
    if name is None:
        return Outcome(400, "", errorType="invalid_request", message="tools.invoke requires name")
    try:
        agentId, sessionKey = tool_target(runtime, _text(body.get("agentId")), _text(body.get("sessionKey")))
    except _Refused as e:
        return Outcome(400, name, errorType="invalid_request", message=e.message)
    rawArgs = body.get("args")
    args: Mapping[str, Any] = rawArgs if isinstance(rawArgs, Mapping) else {}
    tool = runtime.tools.get(name)
    if tool is not None:
        args = _with_action(tool.parameters, args, _text(body.get("action")))
    try:
        result = await runtime.tools.invoke(name, args, runtime.toolContext(agentId, sessionKey), "http")
    except ToolUnavailable as e:
        return Outcome(404, name, errorType="not_found", message=str(e))
    if result.fault == "call":
        return Outcome(400, name, errorType="tool_error", message=result.text)
    if result.fault == "tool":
        return Outcome(500, name, errorType="tool_error", message=result.text)
    return Outcome(200, name, result=result.wire())


class ToolsInvoke:
    """The C{/tools/invoke} surface: always on, behind the gateway's Bearer auth."""

    app = Klein()
    maxBodyBytes = MAX_BODY_BYTES

    def __init__(self, hub, bearer: BearerAuth, reactor: Any) -> None:
        self._hub = hub
        self._bearer = bearer
        self._reactor = reactor

    @app.route("/tools/invoke", methods=None)
    def invoke(self, request: IRequest):
        if request.method != b"POST":
            return method_not_allowed(request, b"POST")
        verdict = self._bearer.shared(request)
        if not verdict.allowed:
            return refuse(request, verdict)
        return Deferred.fromCoroutine(self._invoke(request))

    async def _invoke(self, request: IRequest) -> bytes:
        try:
            body = await read_json(request, MAX_BODY_BYTES, reactor=self._reactor)
        except BodyError as e:
            return e.answer(request)
        call = Deferred.fromCoroutine(invoke(self._hub.agents, body if isinstance(body, Mapping) else {}))
        request.notifyFinish().addErrback(lambda _: call.cancel())  # the caller went away: stop the tool
        try:
            outcome = await call
        except CancelledError:
            return b""  # nobody is left to answer
        return json_response(request, outcome.status, outcome.httpBody())


__all__ = ["MAX_BODY_BYTES", "Outcome", "ToolsInvoke", "invoke", "tool_target"]
