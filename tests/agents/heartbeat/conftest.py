"""
Heartbeats through a whole gateway: the gateway of the run tests (a scripted model
upstream, timers on a Clock the test advances), its default agent's workspace in
the test's directory and its heartbeat configured by C{heartbeat_config}.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import Deferred

from tests.agents.runs.conftest import clock, event_arrived, gateway  # noqa: F401 (fixtures)
from tests.agents.upstream import upstream  # noqa: F401 (fixture)

KEY = "agent:main:main"
EVERY_S = 1800


@pytest.fixture
def heartbeat_config() -> dict:
    """Override in a module for another C{agents.defaults.heartbeat}."""
    return {"every": "30m"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def agent_defaults(workspace: Path, heartbeat_config: dict) -> dict:
    return {"workspace": str(workspace), "heartbeat": heartbeat_config}


def checklist(workspace: Path, text: str) -> None:
    (workspace / "HEARTBEAT.md").write_text(text, encoding="utf-8")


def next_heartbeat(client) -> Deferred:
    """Fires with the payload of the next C{heartbeat} event the client receives."""
    seen = sum(1 for f in client.events if f["event"] == "heartbeat")
    count = [0]

    def match(frame: dict[str, Any]) -> bool:
        if frame["event"] != "heartbeat":
            return False
        count[0] += 1
        return count[0] > seen

    return event_arrived(client, match).addCallback(lambda frame: frame["payload"])


async def advance(clock, client, seconds: float) -> None:
    """
    Move the gateway clock on, then let the keepalive ping this may have sent be
    answered before the clock moves again (an unanswered ping at the next one drops
    the client): the client answers the ping before it sees the first reply, and
    the gateway reads that answer before the second request.
    """
    clock.advance(seconds)
    await client.call("last-heartbeat", {})
    await client.call("last-heartbeat", {})
