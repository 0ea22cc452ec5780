"""
The channels section of one settings snapshot: every configured account with its
channel's own resolved settings (credentials from config, SecretRefs, files or the
environment, read here and nowhere later), plus what the inbound path needs of the
rest of the config: debounce windows, routing bindings, command owners, session
scopes and the configured agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from openclaw.agents.settings import AgentsSettings, SessionSettings
from openclaw.channels.accounts import account_section, configured_accounts, default_account_id
from openclaw.channels.kinds import resolver

#: Quiet windows (ms) per channel when C{messages.inbound} says nothing.
DEFAULT_DEBOUNCE_MS = {"telegram": 300}


@dataclass(frozen=True)
class AccountSettings:
    channelId: str
    accountId: str
    enabled: bool
    #: The channel's own settings (a frozen dataclass of its module), None when unusable.
    config: Any = None
    #: Why the account is not configured (missing credentials, unknown channel), if so.
    problem: str | None = None

    @property
    def configured(self) -> bool:
        return self.config is not None


@dataclass(frozen=True)
class Binding:
    """One C{bindings[]} entry: which agent takes the messages its C{match} selects."""

    agentId: str
    channel: str
    accountId: str | None = None
    peerKind: str | None = None
    peerId: str | None = None


@dataclass(frozen=True)
class InboundSettings:
    debounceMs: int | None = None
    byChannel: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: C{commands.ownerAllowFrom}: C{<channel>:<id>} entries allowed owner-only commands.
    ownerAllowFrom: tuple[str, ...] = ()
    mentionPatterns: tuple[str, ...] = ()
    bindings: tuple[Binding, ...] = ()

    def debounceFor(self, channelId: str) -> int:
        if channelId in self.byChannel:
            return self.byChannel[channelId]
        if self.debounceMs is not None:
            return self.debounceMs
        return DEFAULT_DEBOUNCE_MS.get(channelId, 0)


@dataclass(frozen=True)
class ChannelsSettings:
    accounts: tuple[AccountSettings, ...] = ()
    defaultAccounts: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    inbound: InboundSettings = InboundSettings()
    session: SessionSettings = SessionSettings()
    agents: AgentsSettings = AgentsSettings()

    def account(self, channelId: str, accountId: str) -> AccountSettings | None:
        return next((a for a in self.accounts if (a.channelId, a.accountId) == (channelId, accountId)), None)

    @classmethod
    def fromConfig(
        cls,
        config: Mapping[str, Any],
        environ: Mapping[str, str] = MappingProxyType({}),
        secrets: Any = None,
        session: SessionSettings = SessionSettings(),
        agents: AgentsSettings = AgentsSettings(),
    ) -> "ChannelsSettings":
        sections = config.get("channels") if isinstance(config.get("channels"), Mapping) else {}
        inbound = _inbound(config)
        accounts = []
        defaults = {}
        for found in configured_accounts(config):
            section = sections[found.channelId]
            resolve = resolver(found.channelId)
            merged = account_section(section, found.accountId)
            if resolve is None:
                built, problem = None, f"channel {found.channelId!r} is not supported by this gateway"
            else:
                built, problem = resolve(
                    found.accountId, merged, environ, _secret(secrets, found.channelId, found.accountId), inbound
                )
            accounts.append(AccountSettings(found.channelId, found.accountId, found.enabled, built, problem))
        for channelId, section in sections.items():
            if isinstance(section, Mapping):
                ids = [a.accountId for a in accounts if a.channelId == channelId]
                defaults[channelId] = default_account_id(section, ids)
        return cls(tuple(accounts), MappingProxyType(defaults), inbound, session, agents)


def _secret(secrets: Any, channelId: str, accountId: str):
    """C{(key) -> value}: a SecretRef'd credential of the account, as resolved at start-up."""

    def lookup(key: str) -> str | None:
        if secrets is None:
            return None
        named = secrets.get(f"channels.{channelId}.accounts.{accountId}.{key}")
        return named if named is not None else secrets.get(f"channels.{channelId}.{key}")

    return lookup


def _mapping(raw: Any) -> Mapping[str, Any]:
    return raw if isinstance(raw, Mapping) else {}


def _inbound(config: Mapping[str, Any]) -> InboundSettings:
    messages = _mapping(config.get("messages"))
    inbound = _mapping(messages.get("inbound"))
    debounce = inbound.get("debounceMs")
    byChannel = {
        str(k): v for k, v in _mapping(inbound.get("byChannel")).items() if isinstance(v, int) and v >= 0
    }
    patterns = _mapping(messages.get("groupChat")).get("mentionPatterns")
    owners = _mapping(config.get("commands")).get("ownerAllowFrom")
    return InboundSettings(
        debounceMs=debounce if isinstance(debounce, int) and debounce >= 0 else None,
        byChannel=MappingProxyType(byChannel),
        ownerAllowFrom=tuple(str(o).lower() for o in owners) if isinstance(owners, list) else (),
        mentionPatterns=tuple(p for p in patterns if isinstance(p, str)) if isinstance(patterns, list) else (),
        bindings=tuple(_bindings(config.get("bindings"))),
    )


def _bindings(raw: Any) -> list[Binding]:
    found = []
    for entry in raw if isinstance(raw, list) else []:
        match = _mapping(_mapping(entry).get("match"))
        agentId, channel = _mapping(entry).get("agentId"), match.get("channel")
        if not (isinstance(agentId, str) and isinstance(channel, str)):
            continue
        peer = _mapping(match.get("peer"))
        found.append(Binding(
            agentId=agentId.strip().lower(),
            channel=channel.strip().lower(),
            accountId=match.get("accountId") if isinstance(match.get("accountId"), str) else None,
            peerKind=peer.get("kind") if isinstance(peer.get("kind"), str) else None,
            peerId=str(peer["id"]).lower() if "id" in peer else None,
        ))
    return found
