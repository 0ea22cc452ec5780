"""
C{sessions.branches.list}: the branches of a session's transcript, for the chat
screen's branch picker. Transcripts here are append-only and nothing forks them,
so a session has exactly one branch, the active one, ending at its newest entry;
a session without a transcript has none.
"""

from __future__ import annotations

from typing import Any, Mapping

from openclaw.agents.catalog import UnknownAgent, agent_entry
from openclaw.agents.sessionkeys import scoped_key
from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.gateway.methods.agents import AGENT_ID, SESSION_KEY, agent_for, unknown_agent
from openclaw.logs.record import utc_iso
from openclaw.protocol import scopes

#: A branch's headline is its newest message, cut to what a picker row can show.
HEADLINE_CHARS = 200

PARAMS = {
    "type": "object",
    "required": ["sessionKey"],
    "properties": {"sessionKey": SESSION_KEY, "agentId": AGENT_ID},
    "additionalProperties": False,
}


def headline(message: Mapping[str, Any]) -> str:
    """The text of a transcript message (its text blocks, joined), cut to L{HEADLINE_CHARS}."""
    content = message.get("content")
    if isinstance(content, str):
        text = content
    else:
        text = " ".join(b["text"] for b in content or () if isinstance(b, Mapping) and isinstance(b.get("text"), str))
    text = " ".join(text.split())
    return text if len(text) <= HEADLINE_CHARS else text[: HEADLINE_CHARS - 1] + "…"


def register(registry: MethodRegistry, tree, shell) -> None:
    async def branches(params: dict, ctx: CallContext) -> dict[str, Any]:
        settings = tree.settings
        try:
            agentId = agent_entry(settings, agent_for(settings, params)).id
        except UnknownAgent as e:
            raise unknown_agent(e) from None
        key = scoped_key(params["sessionKey"], agentId)
        newest = await tree.agents.stores.store(agentId).transcript(key, limit=1)
        return {
            "branches": [
                {
                    "leafEntryId": leaf.id,
                    "headline": headline(leaf.message),
                    "messageCount": leaf.seq,  # one unforked line: its entries are numbered 1..seq
                    "updatedAt": utc_iso(leaf.timestamp / 1000),
                    "active": True,
                }
                for leaf in newest
            ]
        }

    registry.add("sessions.branches.list", scopes.READ, branches, PARAMS)
