"""
The channel accounts a config declares: C{channels.<id>} is the implicit
C{default} account, C{channels.<id>.accounts.<accountId>} are named ones.
Pure reading of the config; nothing is started or checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

DEFAULT_ACCOUNT = "default"
#: Keys of a channel section that configure the channel, not its default account.
_CHANNEL_KEYS = {"accounts", "defaultAccount", "enabled"}
#: Alternative ways to give one credential: an account that sets one of them drops the root's.
_CREDENTIAL_GROUPS = (("botToken", "tokenFile"), ("password", "passwordFile"))


@dataclass(frozen=True)
class ConfiguredAccount:
    channelId: str
    accountId: str
    enabled: bool


def configured_accounts(config: Mapping[str, Any]) -> list[ConfiguredAccount]:
    """Every account under C{channels}, in config order (the root one first)."""
    channels = config.get("channels")
    if not isinstance(channels, Mapping):
        return []
    found = []
    for channelId, section in channels.items():
        if not isinstance(section, Mapping):
            continue
        channelEnabled = section.get("enabled", True) is not False
        named = section.get("accounts") if isinstance(section.get("accounts"), Mapping) else {}
        if set(section) - _CHANNEL_KEYS or not named:
            found.append(ConfiguredAccount(channelId, DEFAULT_ACCOUNT, channelEnabled))
        for accountId, account in named.items():
            enabled = channelEnabled and not (isinstance(account, Mapping) and account.get("enabled") is False)
            found.append(ConfiguredAccount(channelId, str(accountId), enabled))
    return found


def account_section(section: Mapping[str, Any], accountId: str) -> dict[str, Any]:
    """
    The effective keys of one account: the root's own keys, overridden key by key by
    the named account's (so a named C{groups} or C{allowFrom} replaces the root's;
    a named C{botToken} replaces the root's C{tokenFile} too).
    """
    merged = {k: v for k, v in section.items() if k not in _CHANNEL_KEYS}
    named = section.get("accounts")
    if accountId != DEFAULT_ACCOUNT or (isinstance(named, Mapping) and DEFAULT_ACCOUNT in named):
        own = named.get(accountId) if isinstance(named, Mapping) else None
        if isinstance(own, Mapping):
            for group in _CREDENTIAL_GROUPS:
                if any(key in own for key in group):
                    for key in group:
                        merged.pop(key, None)
            merged.update({k: v for k, v in own.items() if k != "enabled"})
    return merged


def default_account_id(section: Mapping[str, Any], accountIds: list[str]) -> str:
    """C{defaultAccount} when it names an account, else C{default}, else the first one."""
    chosen = section.get("defaultAccount")
    if isinstance(chosen, str) and chosen in accountIds:
        return chosen
    if DEFAULT_ACCOUNT in accountIds or not accountIds:
        return DEFAULT_ACCOUNT
    return accountIds[0]
