"""The channels section of one settings snapshot: the configured accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from openclaw.channels.accounts import ConfiguredAccount, configured_accounts


@dataclass(frozen=True)
class ChannelsSettings:
    accounts: tuple[ConfiguredAccount, ...] = ()

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "ChannelsSettings":
        return cls(tuple(configured_accounts(config)))
