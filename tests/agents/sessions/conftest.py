"""
Session stores on a real SQLite file and a fake clock (L{stores}, L{store}), and the
runs of the agent runtime as the session methods see them, set by the test (L{runs}).
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from openclaw.agents.sessions.store import SessionStore
from openclaw.agents.sessions.stores import SessionStores

KEY = "agent:main:main"
T0 = 1_795_485_900


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.advance(T0)
    return clock


@pytest_twisted.async_yield_fixture
async def stores(tmp_path, clock):
    stores = SessionStores(str(tmp_path / "state"), clock)
    stores.startService()
    yield stores
    await stores.stopService()


@pytest.fixture
def store(stores) -> SessionStore:
    return stores.store("main")


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
