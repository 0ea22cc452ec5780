"""
What every tool shares: its description for the model, the context it runs in,
the result it gives back and the error that means "the call was wrong".

A tool is an L{AgentTool}: C{run(args, context)} returns a L{ToolResult} or a
Deferred of one. A L{ToolError} raised (or failed with) becomes an error result
the model can read and correct; anything else is a bug and is reported as a
generic failure without its details.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool

from openclaw.agents.providers.base import Tool

if TYPE_CHECKING:
    from openclaw.agents.tools.policy import ToolPolicy, ToolsSettings


class ToolError(Exception):
    """A call the tool cannot carry out (bad arguments, a path outside the workspace, a refused URL)."""


@dataclass(frozen=True)
class ToolResult:
    """What one call produced: text for the model, structured C{details} for clients."""

    text: str
    details: Mapping[str, Any] | None = None
    isError: bool = False
    #: Why an error result is one when the tool did not produce it: C{"call"} (a wrong
    #: call, L{ToolError}) or C{"tool"} (the tool broke); None for the tool's own result.
    fault: str | None = None

    def wire(self) -> dict[str, Any]:
        """The result as C{/tools/invoke}, C{tools.invoke} and the C{tool} events show it."""
        result: dict[str, Any] = {"content": [{"type": "text", "text": self.text}]}
        if self.details is not None:
            result["details"] = dict(self.details)
        return result


@dataclass(frozen=True)
class ToolContext:
    """Where a call runs: the agent, its session and workspace, and the services tools may use."""

    agentId: str
    sessionKey: str
    workspace: str
    settings: "ToolsSettings"
    reactor: Any
    clock: Any
    #: The L{AgentRuntime} (session tools read its stores); None where no runtime exists.
    runtime: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: The channel layer of the tool policy (a chat group's C{tools}/C{toolsBySender}), if any.
    channelPolicy: "ToolPolicy | None" = None
    #: Hears a call's partial results while it runs (the run's C{tool} C{update} events);
    #: None where nobody listens (C{/tools/invoke}).
    onUpdate: Callable[[ToolResult], None] | None = None

    def update(self, partial: ToolResult) -> None:
        """Report what the call has produced so far (a tool that works over time calls this)."""
        if self.onUpdate is not None:
            self.onUpdate(partial)

    def inWorkspace(self, path: Any) -> str:
        """C{path} (relative to the workspace, or absolute) resolved; a path leading outside is refused."""
        if not isinstance(path, str) or not path.strip():
            raise ToolError("path must be a non-empty string")
        root = os.path.realpath(self.workspace)
        full = os.path.realpath(os.path.join(root, os.path.expanduser(path)))
        if full != root and not full.startswith(root + os.sep):
            raise ToolError(f"path is outside the workspace: {path}")
        return full

    def inThread(self, fn: Any, *args: Any) -> Deferred:
        """File work off the reactor thread."""
        return deferToThreadPool(self.reactor, self.reactor.getThreadPool(), fn, *args)


class AgentTool(ABC):
    """One tool. Subclasses set the class attributes and implement L{run}."""

    name: str = ""
    description: str = ""
    #: JSON schema of the arguments object.
    parameters: Mapping[str, Any] = {"type": "object", "properties": {}}

    def definition(self) -> Tool:
        """The tool as a model request lists it."""
        return Tool(self.name, self.description, dict(self.parameters))

    @abstractmethod
    def run(self, args: Mapping[str, Any], context: ToolContext) -> "ToolResult | Deferred[ToolResult]":
        """Run the tool: its result, or a Deferred of it; a L{ToolError} when the call is wrong."""


def string_arg(args: Mapping[str, Any], name: str, required: bool = True, default: str | None = None) -> str | None:
    value = args.get(name, default)
    if value is None:
        if required:
            raise ToolError(f"missing argument: {name}")
        return None
    if not isinstance(value, str):
        raise ToolError(f"{name} must be a string")
    return value


def int_arg(args: Mapping[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    value = args.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ToolError(f"{name} must be an integer")
    if not low <= value <= high:
        raise ToolError(f"{name} must be between {low} and {high}")
    return int(value)
