"""
The registry of tools and the one way to run a tool: look it up, ask the
policy chain, run it, and turn what happened into a L{ToolResult}.

C{/tools/invoke}, C{tools.invoke} and the agent's tool loop all go through
L{ToolRegistry.invoke}; they differ only in the C{surface} they name.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from twisted.internet.defer import CancelledError, Deferred, fail, maybeDeferred, succeed
from twisted.logger import Logger

from openclaw.agents.providers.base import Tool
from openclaw.agents.tools.base import AgentTool, ToolContext, ToolError, ToolResult
from openclaw.agents.tools.policy import Decision, canonical

_log = Logger(namespace="agents/tools")


class ToolUnavailable(Exception):
    """No such tool, or the policy chain refuses it here; C{decision} says which layer (None: unknown)."""

    def __init__(self, name: str, decision: Decision | None) -> None:
        super().__init__(f"Tool not available: {name}")
        self.name = name
        self.decision = decision


class ToolRegistry:
    def __init__(self, tools: Iterable[AgentTool]) -> None:
        self._tools: dict[str, AgentTool] = {}
        for tool in tools:
            if tool.name in self._tools:
                raise ValueError(f"two tools are named {tool.name}")
            self._tools[tool.name] = tool

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._tools)

    def all(self) -> tuple[AgentTool, ...]:
        return tuple(self._tools.values())

    def get(self, name: str) -> AgentTool | None:
        return self._tools.get(canonical(name))

    def decide(self, context: ToolContext, name: str, surface: str, provider: str | None = None) -> Decision:
        return context.settings.decide(context.agentId, name, surface, provider, context.channelPolicy)

    def available(self, context: ToolContext, surface: str = "agent", provider: str | None = None) -> list[AgentTool]:
        """The tools the policy chain admits for this agent on C{surface}, in registry order."""
        return [t for t in self._tools.values() if self.decide(context, t.name, surface, provider).allowed]

    def definitions(self, context: ToolContext, provider: str | None = None) -> tuple[Tool, ...]:
        """What a model request of this agent lists."""
        return tuple(t.definition() for t in self.available(context, "agent", provider))

    def invoke(
        self, name: str, args: Mapping[str, Any], context: ToolContext, surface: str = "agent",
        provider: str | None = None,
    ) -> "Deferred[ToolResult]":
        """
        Run one tool under the policy chain. Fails with L{ToolUnavailable} when the
        tool is unknown or refused; a L{ToolError} becomes an error result; any
        other failure is logged and becomes a generic error result.
        """
        tool = self.get(name)
        if tool is None:
            return fail(ToolUnavailable(name, None))
        decision = self.decide(context, tool.name, surface, provider)
        if not decision.allowed:
            return fail(ToolUnavailable(name, decision))
        if not isinstance(args, Mapping):
            return succeed(ToolResult("arguments must be an object", isError=True, fault="call"))
        d = maybeDeferred(tool.run, args, context)

        def failed(failure: Any) -> Any:
            if failure.check(CancelledError):
                return failure  # the caller stopped the call
            if failure.check(ToolError):
                return ToolResult(failure.getErrorMessage(), isError=True, fault="call")
            _log.failure("tool {tool} failed", failure, tool=tool.name)
            return ToolResult("tool execution failed", isError=True, fault="tool")

        return d.addErrback(failed)


def default_registry() -> ToolRegistry:
    """The first-version tool set."""
    from openclaw.agents.tools.execute import ExecTool
    from openclaw.agents.tools.files import EditTool, ReadTool, WriteTool
    from openclaw.agents.tools.sessions import SessionsHistoryTool, SessionsListTool, SessionStatusTool
    from openclaw.agents.tools.webfetch import WebFetchTool

    return ToolRegistry([
        ReadTool(), WriteTool(), EditTool(), ExecTool(), WebFetchTool(),
        SessionsListTool(), SessionsHistoryTool(), SessionStatusTool(),
    ])
