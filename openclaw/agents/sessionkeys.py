"""
Session keys: the names of conversation buckets. Pure functions over strings and
the C{session} settings section (C{scope}, C{mainKey}, C{dmScope}, C{groupScope},
C{identityLinks}).

    agent:<agentId>:<mainKey>                          the agent's main session
    global                                             session.scope "global"
    agent:<a>:direct:<peer>                            dmScope per-peer
    agent:<a>:<channel>:direct:<peer>                  dmScope per-channel-peer
    agent:<a>:<channel>:<accountId>:direct:<peer>      dmScope per-account-channel-peer
    agent:<a>:<channel>:group:<id>[:topic|thread:<t>]  groups (groupScope per-group)
    agent:<a>:<channel>:channel:<id>[...]              rooms / channels

Keys are lower-cased; a key without the C{agent:} prefix names a session of the
selected agent (C{foo} → C{agent:<agentId>:foo}), except C{global}.
"""

from __future__ import annotations

from typing import Any

GLOBAL_KEY = "global"
_PREFIX = "agent:"
_GROUP_KINDS = frozenset({"group", "channel"})


def main_key(agentId: str, session: Any) -> str:
    """The agent's main session: C{global} under C{scope: "global"}, else C{agent:<id>:<mainKey>}."""
    if session.scope == "global":
        return GLOBAL_KEY
    return f"{_PREFIX}{agentId}:{session.mainKey}".lower()


def scoped_key(key: str, agentId: str) -> str:
    """C{key} as a full key: C{global} and C{agent:} keys as they are, others under C{agentId}."""
    key = key.strip().lower()
    if key == GLOBAL_KEY or key.startswith(_PREFIX):
        return key
    return f"{_PREFIX}{agentId}:{key}".lower()


def agent_of(key: str, default: str) -> str:
    """The agent owning C{key} (C{default} for keys without the C{agent:} prefix)."""
    if key.startswith(_PREFIX):
        agentId = key[len(_PREFIX):].split(":", 1)[0]
        if agentId:
            return agentId
    return default


def _peer(channel: str, peer: str, session: Any) -> str:
    """The peer id, or the canonical name C{session.identityLinks} maps C{<channel>:<peer>} to."""
    peer = peer.strip().lower()
    qualified = f"{channel}:{peer}"
    for canonical, identities in session.identityLinks.items():
        if any(identity.strip().lower() in (qualified, peer) for identity in identities):
            return canonical.strip().lower()
    return peer


def dm_key(agentId: str, channel: str, peer: str, session: Any, accountId: str | None = None) -> str:
    """The session of a direct message from C{peer} on C{channel}, by C{session.dmScope}."""
    channel = channel.strip().lower()
    peer = _peer(channel, peer, session)
    scope = session.dmScope
    if scope == "per-peer":
        return f"{_PREFIX}{agentId}:direct:{peer}".lower()
    if scope == "per-channel-peer":
        return f"{_PREFIX}{agentId}:{channel}:direct:{peer}".lower()
    if scope == "per-account-channel-peer":
        return f"{_PREFIX}{agentId}:{channel}:{accountId or 'default'}:direct:{peer}".lower()
    return main_key(agentId, session)


def group_key(agentId: str, channel: str, groupId: str, session: Any, kind: str = "group",
              thread: tuple[str, str] | None = None) -> str:
    """
    The session of a group (C{kind} C{"group"}) or room (C{"channel"}) on C{channel};
    C{thread} is C{("topic"|"thread", id)} for a forum topic or thread inside it.
    C{groupScope: "main"} folds groups into the main session.
    """
    if kind not in _GROUP_KINDS:
        raise ValueError(f"group kind must be one of {sorted(_GROUP_KINDS)}, not {kind!r}")
    if session.groupScope == "main":
        return main_key(agentId, session)
    key = f"{_PREFIX}{agentId}:{channel.strip()}:{kind}:{groupId.strip()}"
    if thread is not None:
        key += f":{thread[0]}:{thread[1]}"
    return key.lower()


def session_kind(key: str) -> str:
    """C{"global"}, C{"group"} (groups and rooms), C{"direct"} (other agent keys) or C{"unknown"}."""
    if key == GLOBAL_KEY:
        return "global"
    if not key.startswith(_PREFIX):
        return "unknown"
    parts = key.split(":")
    return "group" if _GROUP_KINDS.intersection(parts[2:]) else "direct"


def chat_type(key: str) -> str | None:
    """The row's C{chatType}: C{direct}, C{group} or C{channel} (None for global/unknown keys)."""
    kind = session_kind(key)
    if kind == "group":
        return "channel" if "channel" in key.split(":")[2:] else "group"
    return "direct" if kind == "direct" else None
