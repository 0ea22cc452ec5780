"""Operator scopes: which scope satisfies which, and who may receive which event."""

from __future__ import annotations

from typing import Iterable

ADMIN = "operator.admin"
READ = "operator.read"
WRITE = "operator.write"
PAIRING = "operator.pairing"
APPROVALS = "operator.approvals"
QUESTIONS = "operator.questions"
TALK = "operator.talk"
TALK_SECRETS = "operator.talk.secrets"
SESSIONS_READ = "operator.sessions.read"
SESSIONS_WRITE = "operator.sessions.write"

#: Sentinel scope of the few methods any authenticated connection may call.
NONE = ""

_IMPLIED = {WRITE: frozenset({READ, TALK})}


def satisfies(granted: Iterable[str], required: str) -> bool:
    """Admin satisfies everything, write satisfies read and talk, others match exactly."""
    if required == NONE:
        return True
    held = set(granted)
    if ADMIN in held or required in held:
        return True
    return any(required in _IMPLIED.get(scope, ()) for scope in held)


def _each(scope: str, *events: str) -> dict[str, str]:
    return dict.fromkeys(events, scope)


#: Events and the scope a connection needs to receive them (C{spec/events.md} §2, as
#: the 2026.9.6 build has it). Events not listed are never delivered (fail closed).
EVENT_SCOPES: dict[str, str] = {
    **_each(NONE, "tick", "health", "heartbeat", "shutdown", "gateway.suspension", "update.available"),
    **_each(
        READ, "presence", "agent", "chat", "chat.metadata.changed", "sessions.changed", "session.message",
        "session.tool", "session.operation", "session.observer", "session.typing", "cron", "task",
        "config.changed", "skills.changed", "plugins.changed", "node.presence", "node.hostStats", "talk.event",
        "voicewake.changed", "mentions.changed", "users.prefs.changed",
    ),
    **_each(
        APPROVALS, "exec.approval.requested", "exec.approval.resolved", "plugin.approval.requested",
        "plugin.approval.resolved", "openclaw.approval.requested", "openclaw.approval.resolved", "session.approval",
    ),
    **_each(
        PAIRING, "device.pair.requested", "device.pair.resolved", "device.pair.changed",
        "device.pair.setup.completed", "device.pair.setup.deliveryUncertain", "node.pair.requested",
        "node.pair.resolved",
    ),
    **_each(QUESTIONS, "question.requested", "question.resolved"),
    **_each(TALK, "talk.mode", "talk.voice.change"),
    **_each(ADMIN, "terminal.data", "terminal.exit", "plugins.install.progress", "update.run.changed"),
}


def may_receive(granted: Iterable[str], event: str) -> bool:
    required = EVENT_SCOPES.get(event)
    return required is not None and satisfies(granted, required)
