"""What a running gateway does with a change, by reload mode (shared by the reload controller and the CLI)."""

from __future__ import annotations

import pytest

from openclaw.config import diff
from openclaw.config.outcome import HOT, MANUAL, OFF, RESTART, UNCHANGED, outcome, reload_mode

BASE = {"gateway": {"mode": "local", "port": 1}, "logging": {"level": "info"}, "ui": {}}


def _plan(**changes):
    new = {**BASE, **changes}
    return diff.plan(BASE, new)


@pytest.mark.parametrize(
    "changes, mode, kind, paths",
    [
        ({}, "hybrid", UNCHANGED, ()),
        ({"logging": {"level": "debug"}}, "hybrid", HOT, ("logging.level",)),
        ({"ui": {"x": 1}}, "hybrid", HOT, ("ui.x",)),  # read where used: no restart
        ({"gateway": {"mode": "local", "port": 2}}, "hybrid", RESTART, ("gateway.port",)),
        ({"agents": {"list": []}}, "hybrid", HOT, ("agents",)),  # the agent runtime applies its section
        ({"gateway": {"mode": "local", "port": 2}}, "hot", MANUAL, ("gateway.port",)),
        ({"logging": {"level": "debug"}}, "restart", RESTART, ("logging.level",)),
        ({"logging": {"level": "debug"}}, "off", OFF, ("logging.level",)),
    ],
)
def test_outcome_by_mode(changes, mode, kind, paths):
    decided = outcome(_plan(**changes), mode)
    assert (decided.kind, decided.paths) == (kind, paths)


def test_the_reload_mode_defaults_to_hybrid():
    assert reload_mode({}) == "hybrid"
    assert reload_mode({"gateway": {"reload": {"mode": "off"}}}) == "off"
