"""The runs of the agent runtime as the session methods see them, set by the test."""

from __future__ import annotations

import pytest


class ActiveRuns:
    """The runs the session rows report as active (set by the test), and the aborts asked for."""

    def __init__(self) -> None:
        self.active: dict[str, list[str]] = {}
        self.aborted: list[tuple[str, str]] = []

    def activeRunIds(self, sessionKey: str) -> list[str]:
        return list(self.active.get(sessionKey, ()))

    def abort(self, sessionKey: str, runId: str | None, reason: str) -> list[str]:
        self.aborted.append((sessionKey, reason))
        return self.active.pop(sessionKey, [])


@pytest.fixture
def runs(gateway, monkeypatch) -> ActiveRuns:
    """Stand in for the run manager's view of active runs (no model needed to have one)."""
    recorded = ActiveRuns()
    manager = gateway.service.tree.agents.runs
    monkeypatch.setattr(manager, "activeRunIds", recorded.activeRunIds)
    monkeypatch.setattr(manager, "abort", recorded.abort)
    return recorded
