"""A tool context over a temporary workspace, with a L{Clock} for the tools' timers."""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from openclaw.agents.tools.base import ToolContext
from openclaw.agents.tools.policy import ToolsSettings
from openclaw.agents.tools.registry import default_registry


@pytest.fixture
def workspace(tmp_path):
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def toolClock() -> Clock:
    return Clock()


@pytest.fixture
def make_context(reactor, workspace, toolClock):
    def make(config: dict | None = None, agentId: str = "main") -> ToolContext:
        return ToolContext(agentId, f"agent:{agentId}:main", str(workspace), ToolsSettings.fromConfig(config or {}),
                           reactor, toolClock)
    return make


@pytest.fixture
def invoke(make_context):
    """C{invoke(name, args, config=None, surface="agent")} through the default registry."""
    registry = default_registry()

    def call(name: str, args: dict, config: dict | None = None, surface: str = "agent"):
        return registry.invoke(name, args, make_context(config), surface)
    return call
