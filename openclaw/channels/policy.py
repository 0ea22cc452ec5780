"""
Who may talk to an account, shared by every channel: the DM policy and its
C{allowFrom}, the group policy, the C{groups} allowlist with its per-group keys,
and mention gating. Built once per settings snapshot from one account's keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

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
            rules[_group_key(str(key))] = GroupRule(
                enabled=raw.get("enabled", True) is not False,
                requireMention=raw.get("requireMention", True) is not False,
                allowFrom=_ids(raw["allowFrom"], normalise) if "allowFrom" in raw else None,
                systemPrompt=raw.get("systemPrompt") if isinstance(raw.get("systemPrompt"), str) else None,
                agentId=raw.get("agentId") if isinstance(raw.get("agentId"), str) else None,
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

    def groupSenderAllowed(self, rule: GroupRule | None, senderIds: Iterable[str]) -> bool:
        """A group's own C{allowFrom}, else C{groupAllowFrom}; neither set lets every member in."""
        allowed = rule.allowFrom if rule is not None and rule.allowFrom is not None else self.groupAllowFrom
        if allowed is None or WILDCARD in allowed:
            return True
        return any(s in allowed for s in senderIds)

    def mentionedByPattern(self, text: str) -> bool:
        return any(p.search(text) for p in self.mentionPatterns)


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
