"""
The tools one run may call: the registry under the run's settings snapshot,
bound to the run's agent, session and workspace.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from twisted.internet.defer import Deferred

from openclaw.agents.providers.base import Tool, ToolCall
from openclaw.agents.tools.base import ToolContext, ToolResult
from openclaw.agents.tools.registry import ToolRegistry, ToolUnavailable


class Toolbox:
    def __init__(self, registry: ToolRegistry, context: ToolContext) -> None:
        self.registry = registry
        self.context = context

    @property
    def maxSteps(self) -> int:
        return self.context.settings.maxSteps

    def definitions(self, provider: str | None) -> tuple[Tool, ...]:
        return self.registry.definitions(self.context, provider)

    def run(
        self, call: ToolCall, provider: str | None, onUpdate: Callable[[ToolResult], None] | None = None,
    ) -> "Deferred[ToolResult]":
        """
        Run the model's call, C{onUpdate} hearing its partial results; a tool it may
        not use answers as an error the model can read.
        """
        context = self.context if onUpdate is None else replace(self.context, onUpdate=onUpdate)
        d = self.registry.invoke(call.name, call.arguments, context, "agent", provider)

        def unavailable(failure) -> ToolResult:
            failure.trap(ToolUnavailable)
            return ToolResult(failure.getErrorMessage(), isError=True)

        return d.addErrback(unavailable)
