"""
What changed between two configs, and what each change needs: nothing (the new
snapshot is read on use), a hot apply by the service that owns the path's settings
section, or a restart.

Paths are dotted; objects are recursed, arrays compared whole. The rule with the
longest matching prefix decides; a path no rule matches needs a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

NONE = "none"
HOT = "hot"
RESTART = "restart"
ROOT = "<root>"


@dataclass(frozen=True)
class Rule:
    kind: str
    #: The settings section a hot change belongs to (its owner applies it); None for kind none/restart.
    section: str | None = None


#: The shared secret stays hot only while the auth mode stays the same (see L{plan}).
_AUTH_SECRET = Rule(HOT, "auth")

RULES: dict[str, Rule] = {
    "$schema": Rule(NONE),
    "meta": Rule(NONE),
    "wizard": Rule(NONE),
    # gateway server: restart, except these
    "gateway": Rule(RESTART),
    "gateway.reload": Rule(NONE),
    "gateway.remote": Rule(NONE),
    "gateway.auth.token": _AUTH_SECRET,
    "gateway.auth.password": _AUTH_SECRET,
    "gateway.auth.rateLimit": Rule(HOT, "rateLimit"),
    "gateway.controlUi.allowedOrigins": Rule(HOT, "origins"),
    "gateway.tools": Rule(HOT, "agents"),  # the /tools/invoke deny list, read on each call
    # the HTTP endpoints read their section per request
    "gateway.http": Rule(NONE),
    # infrastructure
    "discovery": Rule(RESTART),
    "canvasHost": Rule(RESTART),
    "plugins": Rule(RESTART),
    "env": Rule(RESTART),
    # channels: the affected channel restarts
    "channels": Rule(HOT, "channels"),
    "web": Rule(HOT, "channels"),
    # who may talk to an agent through a channel, and which agent answers
    "bindings": Rule(HOT, "channels"),
    "commands": Rule(HOT, "channels"),
    # agents, automation
    "agent": Rule(HOT, "agents"),
    "agents": Rule(HOT, "agents"),
    "tools": Rule(HOT, "agents"),
    "agent.heartbeat": Rule(HOT, "agents"),
    "hooks": Rule(HOT, "hooks"),
    "cron": Rule(HOT, "cron"),
    "models": Rule(HOT, "models"),
    "session": Rule(HOT, "session"),
    "messages": Rule(HOT, "messages"),
    "logging": Rule(HOT, "logging"),
    "secrets": Rule(HOT, "secrets"),
    # read from the snapshot when used
    **{
        name: Rule(NONE)
        for name in (
            "routing", "browser", "skills", "audio",
            "talk", "ui", "identity", "auth", "broadcast", "approvals",
            "memory", "diagnostics", "update",
        )
    },
}


def changed_paths(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths whose values differ; C{<root>} when a root is not an object."""
    if not prefix and not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return [] if old == new else [ROOT]
    paths: list[str] = []
    for key in sorted(set(old) | set(new), key=str):
        path = f"{prefix}.{key}" if prefix else str(key)
        a, b = old.get(key), new.get(key)
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            paths += changed_paths(a, b, path)
        elif a != b or (key in old) != (key in new):
            paths.append(path)
    return paths


def rule_for(path: str) -> Rule:
    """The rule of the longest prefix of C{path} (whole segments) that has one."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        rule = RULES.get(".".join(parts[:end]))
        if rule is not None:
            return rule
    return Rule(RESTART)


def kind_of(path: str, sameAuthMode: bool = True) -> str:
    rule = rule_for(path)
    if rule is _AUTH_SECRET and not sameAuthMode:
        return RESTART
    return rule.kind


@dataclass(frozen=True)
class ReloadPlan:
    changed: tuple[str, ...]
    restart: tuple[str, ...]
    hot: tuple[str, ...]
    noop: tuple[str, ...]
    #: The changed hot paths by settings section, sections in first-seen order.
    sectionPaths: Mapping[str, tuple[str, ...]]

    @property
    def sections(self) -> frozenset[str]:
        return frozenset(self.sectionPaths)

    @property
    def restartRequired(self) -> bool:
        return bool(self.restart)


def plan(old: Mapping[str, Any], new: Mapping[str, Any], sameAuthMode: bool = True) -> ReloadPlan:
    """
    Classify every changed path. C{sameAuthMode}: whether the effective auth mode
    is the same before and after (only then is a token or password change hot).
    """
    changed = changed_paths(old, new)
    restart, hot, noop = [], [], []
    bySection: dict[str, list[str]] = {}
    for path in changed:
        kind = kind_of(path, sameAuthMode)
        if kind == RESTART:
            restart.append(path)
        elif kind == HOT:
            hot.append(path)
            bySection.setdefault(rule_for(path).section or "", []).append(path)
        else:
            noop.append(path)
    sectionPaths = {section: tuple(paths) for section, paths in bySection.items()}
    return ReloadPlan(tuple(changed), tuple(restart), tuple(hot), tuple(noop), sectionPaths)


__all__ = ["HOT", "NONE", "RESTART", "RULES", "ReloadPlan", "Rule", "changed_paths", "kind_of", "plan", "rule_for"]
