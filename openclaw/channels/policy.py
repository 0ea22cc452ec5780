"""
Who may talk to an account, shared by every channel: the DM policy and its
C{allowFrom}, the group policy, the C{groups} allowlist with its per-group keys,
and mention gating. Built once per settings snapshot from one account's keys.

A group entry may also narrow the agent's tools there (the channel layer of the
tool policy): C{tools} for everyone in the group, C{toolsBySender} per sender
(keys C{id:<senderId>}, C{name:<displayName>}, a bare id, or C{"*"}). The most
specific wins: the group's sender match, the group's C{tools}, then the same two
of the C{"*"} entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from openclaw.agents.settings import AgentConfigError
from openclaw.agents.tools.policy import ToolPolicy

DM_POLICIES = ("pairing", "allowlist", "open", "disabled")
GROUP_POLICIES = ("allowlist", "open", "disabled")
REPLY_TO_MODES = ("off", "first", "all", "batched")
WILDCARD = "*"
DEFAULT_HISTORY_LIMIT = 50


@dataclass(frozen=True)
class GroupRule:
    """One entry of C{groups} (or the C{"*"} one)."""

    enabled: bool = True
    requireMention: bool = True
    allowFrom: tuple[str, ...] | None = None
    systemPrompt: str | None = None
    agentId: str | None = None
    #: The tool policy for runs started from this group, and per sender (normalised keys).
    tools: ToolPolicy | None = None
    toolsBySender: Mapping[str, ToolPolicy] = field(default_factory=lambda: MappingProxyType({}))

    def senderTools(self, senderIds: Iterable[str], senderName: str) -> ToolPolicy | None:
        """The C{toolsBySender} entry of this sender: by id, then by display name, then C{"*"}."""
        for key in [f"id:{i}" for i in senderIds] + [f"name:{senderName.strip().lower()}", WILDCARD]:
            if key in self.toolsBySender:
                return self.toolsBySender[key]
        return None


@dataclass(frozen=True)
class AccessPolicy:
    dmPolicy: str = "pairing"
    allowFrom: tuple[str, ...] = ()
    groupPolicy: str = "allowlist"
    groups: Mapping[str, GroupRule] = field(default_factory=lambda: MappingProxyType({}))
    groupAllowFrom: tuple[str, ...] | None = None
    historyLimit: int = DEFAULT_HISTORY_LIMIT
    textChunkLimit: int = 4000
    replyToMode: str = "off"
    mentionPatterns: tuple[re.Pattern, ...] = ()
    #: Config problems found while reading (shown in statusIssues, the account still runs).
    problems: tuple[str, ...] = ()

    @classmethod
    def fromSection(
        cls,
        section: Mapping[str, Any],
        normalise: Callable[[str], str],
        textChunkLimit: int,
        replyToMode: str,
        mentionPatterns: Iterable[str] = (),
    ) -> "AccessPolicy":
        problems: list[str] = []
        dmPolicy = _choice(section, "dmPolicy", DM_POLICIES, "pairing", problems)
        allowFrom = _ids(section.get("allowFrom"), normalise)
        if dmPolicy == "allowlist" and not allowFrom:
            problems.append('dmPolicy "allowlist" needs at least one allowFrom entry; every DM is dropped')
        if dmPolicy == "open" and WILDCARD not in allowFrom:
            problems.append('dmPolicy "open" needs "*" in allowFrom; DMs are treated as allowlist')
        groups = section.get("groups") if isinstance(section.get("groups"), Mapping) else {}
        rules = {}
        for key, raw in groups.items():
            raw = raw if isinstance(raw, Mapping) else {}
            path = f"groups.{key}"
            rules[_group_key(str(key))] = GroupRule(
                enabled=raw.get("enabled", True) is not False,
                requireMention=raw.get("requireMention", True) is not False,
                allowFrom=_ids(raw["allowFrom"], normalise) if "allowFrom" in raw else None,
                systemPrompt=raw.get("systemPrompt") if isinstance(raw.get("systemPrompt"), str) else None,
                agentId=raw.get("agentId") if isinstance(raw.get("agentId"), str) else None,
                tools=_tool_policy(raw.get("tools"), f"{path}.tools", problems),
                toolsBySender=MappingProxyType(_sender_tools(raw.get("toolsBySender"), path, normalise, problems)),
            )
        patterns = []
        for source in mentionPatterns:
            try:
                patterns.append(re.compile(source, re.IGNORECASE))
            except re.error as e:
                problems.append(f"mention pattern {source!r} is not a valid regex: {e}")
        return cls(
            dmPolicy=dmPolicy,
            allowFrom=allowFrom,
            groupPolicy=_choice(section, "groupPolicy", GROUP_POLICIES, "allowlist", problems),
            groups=MappingProxyType(rules),
            groupAllowFrom=_ids(section["groupAllowFrom"], normalise) if "groupAllowFrom" in section else None,
            historyLimit=_count(section.get("historyLimit"), DEFAULT_HISTORY_LIMIT),
            textChunkLimit=_count(section.get("textChunkLimit"), textChunkLimit) or textChunkLimit,
            replyToMode=_choice(section, "replyToMode", REPLY_TO_MODES, replyToMode, problems),
            mentionPatterns=tuple(patterns),
            problems=tuple(problems),
        )

    def dmAllowedByConfig(self, senderIds: Iterable[str]) -> bool:
        """Whether C{allowFrom} (or C{"*"} under C{open}) lets one of the sender's ids in."""
        if self.dmPolicy == "open" and WILDCARD in self.allowFrom:
            return True
        return any(s in self.allowFrom for s in senderIds)

    def group(self, groupId: str) -> GroupRule | None:
        """The rule for C{groupId}: its own entry, else the C{"*"} one, else None."""
        return self.groups.get(_group_key(groupId)) or self.groups.get(WILDCARD)

    def toolPolicy(self, groupId: str, senderIds: Iterable[str], senderName: str) -> ToolPolicy | None:
        """The channel layer of the tool policy for a run from C{senderIds} in group C{groupId}, if any."""
        senderIds = tuple(senderIds)
        for rule in (self.groups.get(_group_key(groupId)), self.groups.get(WILDCARD)):
            if rule is not None:
                chosen = rule.senderTools(senderIds, senderName) or rule.tools
                if chosen is not None:
                    return chosen
        return None

    def groupSenderAllowed(self, rule: GroupRule | None, senderIds: Iterable[str]) -> bool:
        """A group's own C{allowFrom}, else C{groupAllowFrom}; neither set lets every member in."""
        allowed = rule.allowFrom if rule is not None and rule.allowFrom is not None else self.groupAllowFrom
        if allowed is None or WILDCARD in allowed:
            return True
        return any(s in allowed for s in senderIds)

    def mentionedByPattern(self, text: str) -> bool:
        return any(p.search(text) for p in self.mentionPatterns)


#: C{toolsBySender} key prefixes this gateway cannot match yet (it matches C{id:}, C{name:},
#: a bare id and C{"*"}).
_UNMATCHED_SENDER_KEYS = ("username", "e164", "channel")


def _tool_policy(raw: Any, path: str, problems: list[str]) -> ToolPolicy | None:
    if raw is None:
        return None
    try:
        return ToolPolicy.fromConfig(raw, path)
    except AgentConfigError as e:
        problems.append(f"{e}; the entry is ignored")
        return None


def _sender_tools(raw: Any, path: str, normalise: Callable[[str], str], problems: list[str]) -> dict[str, ToolPolicy]:
    """C{toolsBySender} with normalised keys (C{id:<normalised id>}, C{name:<lower-case name>}, C{"*"})."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(f"{path}.toolsBySender must be an object of sender → tool policy; ignored")
        return {}
    policies: dict[str, ToolPolicy] = {}
    for key, value in raw.items():
        key = str(key).strip()
        prefix, sep, rest = key.partition(":")
        if key == WILDCARD:
            normalised = WILDCARD
        elif sep and prefix.lower() in _UNMATCHED_SENDER_KEYS:
            problems.append(f"{path}.toolsBySender key {key!r}: only id:, name: and \"*\" keys are matched here; ignored")
            continue
        elif sep and prefix.lower() == "name":
            normalised = f"name:{rest.strip().lower()}"
        else:
            normalised = f"id:{normalise(rest.strip() if sep and prefix.lower() == 'id' else key)}"
        policy = _tool_policy(value, f"{path}.toolsBySender.{key}", problems)
        if policy is not None:
            policies[normalised] = policy
    return policies


def _group_key(key: str) -> str:
    return key.strip().lower()


def _ids(raw: Any, normalise: Callable[[str], str]) -> tuple[str, ...]:
    if isinstance(raw, (str, int)):
        raw = [raw]
    if not isinstance(raw, (list, tuple)):
        return ()
    return tuple(dict.fromkeys(WILDCARD if str(v).strip() == WILDCARD else normalise(str(v)) for v in raw if str(v).strip()))


def _choice(section: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str, problems: list[str]) -> str:
    value = section.get(key, default)
    if value not in allowed:
        problems.append(f"{key} must be one of {', '.join(allowed)} (got {value!r}); using {default!r}")
        return default
    return value


def _count(raw: Any, default: int) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0 else default
