"""What the channel manager needs of every channel service."""

from __future__ import annotations

from typing import Any

from zope.interface import Attribute, Interface


class IChannel(Interface):
    channelId = Attribute("The channel's id, e.g. 'irc' or 'telegram'.")
    label = Attribute("A human name, e.g. 'IRC'.")
    detailLabel = Attribute("A longer human name, e.g. 'Telegram Bot'.")

    def health() -> dict[str, Any]:
        """The channel's health record (its default account spread, plus C{accounts})."""

    def summary() -> str:
        """One line for C{status}."""

    def status(probe: bool) -> Any:
        """
        The channel's part of C{channels.status}, or a Deferred of it::

            {"summary": {"configured": True, ...},       # the default account, channel level
             "accounts": [{"accountId": "default", ...}],  # account snapshots
             "defaultAccountId": "default"}

        With C{probe}, each account runs its live probe first.
        """
