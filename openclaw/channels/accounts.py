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
