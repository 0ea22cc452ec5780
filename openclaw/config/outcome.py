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

DEFAULT_MODE = "hybrid"

#: The settings sections a running gateway applies hot: every section of a hot
#: rule has a consumer in the service tree (the reload controller asks the live
#: consumers; this is the answer for a gateway the CLI cannot ask).
LIVE_SECTIONS = frozenset(rule.section for rule in diff.RULES.values() if rule.section)

UNCHANGED = "unchanged"
HOT = "hot"
RESTART = "restart"
#: A restart is needed but the mode (C{hot}) leaves it to the operator.
MANUAL = "manual"
#: C{gateway.reload.mode} is C{off}: nothing is applied until a restart.
OFF = "off"


def reload_mode(config: Mapping[str, Any]) -> str:
    return lookup(config, "gateway.reload.mode", DEFAULT_MODE)


def restart_paths(plan: diff.ReloadPlan, live: frozenset[str] = LIVE_SECTIONS) -> tuple[str, ...]:
    """The changed paths that need a restart of a gateway whose consumers apply the C{live} sections."""
    return plan.restart + tuple(p for section, paths in plan.sectionPaths.items() if section not in live for p in paths)


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


__all__ = ["DEFAULT_MODE", "LIVE_SECTIONS", "Outcome", "outcome", "reload_mode", "restart_paths"]
