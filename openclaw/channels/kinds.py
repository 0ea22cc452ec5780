"""
The channels this gateway can run, by id: each one's label, its settings resolver
(pure, used by the settings build) and, imported only when an account starts, its
transport module.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Kind:
    channelId: str
    label: str
    detailLabel: str
    #: Module with C{resolve(accountId, section, environ, secret, inbound) -> (config | None, problem | None)}.
    configModule: str
    #: Module with C{make_transport(config, accountId, reactor, clock, store) -> ITransport}.
    transportModule: str
    #: What to set when an account has no usable credentials.
    setupHint: str = ""


KINDS = {
    "telegram": Kind("telegram", "Telegram", "Telegram Bot", "openclaw.channels.telegram.config",
                     "openclaw.channels.telegram.transport",
                     "set channels.telegram.botToken or tokenFile (or TELEGRAM_BOT_TOKEN for the default account)"),
    "irc": Kind("irc", "IRC", "IRC", "openclaw.channels.irc.config", "openclaw.channels.irc.transport",
                "set channels.irc.host and channels.irc.nick (or IRC_HOST and IRC_NICK for the default account)"),
}


def setup_hint(channelId: str) -> str:
    kind = KINDS.get(channelId)
    if kind is None:
        return f"remove channels.{channelId} (supported: {', '.join(sorted(KINDS))})"
    return kind.setupHint


def resolver(channelId: str) -> Callable[..., tuple[Any, str | None]] | None:
    kind = KINDS.get(channelId)
    return None if kind is None else importlib.import_module(kind.configModule).resolve


def transport_factory(channelId: str) -> Callable[..., Any]:
    return importlib.import_module(KINDS[channelId].transportModule).make_transport
