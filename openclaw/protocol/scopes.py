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


#: Events and the scope a connection needs to receive them. Events not listed are
#: never delivered (fail closed).
EVENT_SCOPES: dict[str, str] = {
    "tick": NONE,
    "health": NONE,
    "heartbeat": NONE,
    "shutdown": NONE,
    "gateway.suspension": NONE,
    "update.available": NONE,
    "presence": READ,
    "agent": READ,
    "chat": READ,
    "chat.metadata.changed": READ,
    "sessions.changed": READ,
    "config.changed": READ,
    "device.pair.requested": PAIRING,
    "device.pair.resolved": PAIRING,
}


def may_receive(granted: Iterable[str], event: str) -> bool:
    required = EVENT_SCOPES.get(event)
    return required is not None and satisfies(granted, required)
