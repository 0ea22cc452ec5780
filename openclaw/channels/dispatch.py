"""
The one door from the inbound path to the agents: a L{Turn} (who said what, where,
for which agent and session) in, the final reply texts out. The run engine's
adapter implements it; tests of the inbound path pass their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zope.interface import Interface

from openclaw.channels.base import ChatRef

#: A final reply that is exactly this means: say nothing.
NO_REPLY = "NO_REPLY"


@dataclass(frozen=True)
class Turn:
    agentId: str
    sessionKey: str
    #: The envelope body the run gets (channel, sender, history block, the text).
    body: str
    channel: str
    accountId: str
    chat: ChatRef
    senderId: str
    senderName: str
    messageIds: tuple[str, ...]
    #: Same inbound messages, same key: a replay after a restart is recognised as the same run.
    idempotencyKey: str
    #: A control command (C{/new}, C{/reset}, C{/stop}, C{/status}) instead of a message for the model.
    command: str | None = None
    systemPrompt: str | None = None
    #: The channel layer of the tool policy (the group's C{tools}/C{toolsBySender}), if any.
    toolPolicy: Any = None


class IDispatcher(Interface):
    def dispatch(turn: Turn) -> Any:
        """Run C{turn} on its session's lane; a Deferred of the final reply texts (list of str)."""


def replies_to_send(texts: list[str]) -> list[str]:
    """The replies that go out: empty ones and the exact C{NO_REPLY} stay silent."""
    return [t for t in texts if t and t.strip() and t.strip() != NO_REPLY]
