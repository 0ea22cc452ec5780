"""
A gateway whose agent runtime carries session stores, a session bus and a record of
active runs, as the session methods find them (C{tree.agents.stores|bus|runs}).
"""

from __future__ import annotations

import pytest_twisted

from openclaw.agents.sessionkeys import main_key
from openclaw.agents.sessions.bus import SessionBus
from openclaw.agents.sessions.stores import SessionStores
from tests.conftest import serving, start_gateway


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


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, gateway_config):
    service = start_gateway(reactor, environ, gateway_config)
    tree = service.tree
    agents = tree.agents
    agents.stores = SessionStores(tree.settings.paths.stateDir, reactor)
    agents.stores.setServiceParent(tree)
    agents.bus = SessionBus(reactor, lambda agentId: main_key(agentId, tree.settings.session))
    agents.runs = ActiveRuns()
    async with serving(service, reactor) as running:
        yield running
