"""
Which agent takes an inbound message (C{bindings}, most specific match first) and
the session key it runs under (C{session.dmScope} / C{groupScope}).
"""

from __future__ import annotations

from typing import Any, Sequence

from openclaw.agents.sessionkeys import dm_key, group_key
from openclaw.channels.base import DIRECT, InboundMessage
from openclaw.channels.settings import Binding

_ANY = "*"


def _peer_kind(message: InboundMessage) -> str:
    return "direct" if message.chatType == DIRECT else "group"


def route(bindings: Sequence[Binding], agents: Any, message: InboundMessage, groupAgentId: str | None = None) -> str | None:
    """
    The agent for C{message}: a binding on its exact peer, on any peer of that
    kind, on its exact account, on any account; then a group's own C{agentId};
    then the only configured agent. With several agents and nothing matching it is
    None: the message is refused rather than sent to a guessed agent.
    """
    mine = [b for b in bindings if b.channel == message.channel]
    kind, peer = _peer_kind(message), message.peerId.lower()
    tiers = (
        lambda b: b.peerKind in (kind, "channel" if kind == "group" else kind) and b.peerId == peer,
        lambda b: b.peerKind in (kind, "channel" if kind == "group" else kind) and b.peerId == _ANY,
        lambda b: b.peerKind is None and b.accountId == message.accountId,
        lambda b: b.peerKind is None and b.accountId in (None, _ANY),
    )
    for matches in tiers:
        for binding in mine:
            if matches(binding) and binding.accountId in (None, _ANY, message.accountId):
                return binding.agentId
    if groupAgentId:
        return groupAgentId.strip().lower()
    if len(agents.agents) == 1:
        return agents.agents[0].id
    return None


def session_key(agentId: str, message: InboundMessage, session: Any) -> str:
    if message.chatType == DIRECT:
        return dm_key(agentId, message.channel, message.peerId, session, message.accountId)
    thread = ("topic", message.threadId) if message.threadId else None
    return group_key(agentId, message.channel, message.peerId, session, "group", thread)
