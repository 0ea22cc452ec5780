"""
What a running gateway does with a config change: the decision the reload
controller acts on, and what C{openclaw config set|unset} tells the operator.

L{openclaw.config.diff} classifies each changed path (none / hot / restart); the
outcome adds what this gateway can apply live today and C{gateway.reload.mode}
(the mode in force before the change: a new mode applies to the next change).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from openclaw.config import diff
from openclaw.config.load import lookup

MODES = ("off", "hot", "restart", "hybrid")
DEFAULT_MODE = "hybrid"

#: Hot actions the running services apply (the rest restart the tree until their
#: owners can take a new snapshot live). C{agents}: the agent runtime takes its
#: config at construction.
LIVE_ACTIONS = frozenset({"auth", "rateLimit", "origins", "logging", "secrets", "hooks", "cron"})

UNCHANGED = "unchanged"
HOT = "hot"
RESTART = "restart"
#: A restart is needed but the mode (C{hot}) leaves it to the operator.
MANUAL = "manual"
#: C{gateway.reload.mode} is C{off}: nothing is applied until a restart.
OFF = "off"


def reload_mode(config: Mapping[str, Any]) -> str:
    return lookup(config, "gateway.reload.mode", DEFAULT_MODE)


def restart_paths(plan: diff.ReloadPlan) -> tuple[str, ...]:
    """The changed paths that need a restart of this gateway."""
    return plan.restart + tuple(p for p in plan.hot if diff.rule_for(p).action not in LIVE_ACTIONS)


@dataclass(frozen=True)
class Outcome:
    kind: str
    #: The paths behind C{kind}: what restarts, or what applies hot.
    paths: tuple[str, ...]


def outcome(plan: diff.ReloadPlan, mode: str) -> Outcome:
    """What a gateway in C{mode} does with C{plan}."""
    if not plan.changed:
        return Outcome(UNCHANGED, ())
    if mode == "off":
        return Outcome(OFF, plan.changed)
    if mode == "restart":
        return Outcome(RESTART, plan.changed)
    restart = restart_paths(plan)
    if restart:
        return Outcome(MANUAL if mode == "hot" else RESTART, restart)
    return Outcome(HOT, plan.changed)


__all__ = ["DEFAULT_MODE", "LIVE_ACTIONS", "MODES", "Outcome", "outcome", "reload_mode", "restart_paths"]
