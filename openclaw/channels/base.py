"""
What the channel manager needs of every channel (L{IChannel}), what an account's
runner needs of its transport (L{ITransport}), and the one shape every transport
hands inbound messages in (L{InboundMessage}).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from zope.interface import Attribute, Interface

DIRECT = "direct"
GROUP = "group"


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


@dataclass(frozen=True)
class ChatRef:
    """Where a reply goes: a DM peer or a group, optionally a thread/topic in it."""

    chatType: str
    peerId: str
    threadId: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One message as a transport received it, normalised for the inbound path."""

    channel: str
    accountId: str
    chatType: str  # DIRECT or GROUP
    #: The chat: the sender's id for DMs, the group's id (IRC C{#chan}, Telegram chat id) for groups.
    peerId: str
    senderId: str
    senderName: str
    text: str
    #: Unique per account (dedupe key of the durable queue).
    messageId: str
    #: Every id an allowlist entry may name for this sender (lower-cased).
    senderIds: tuple[str, ...] = ()
    #: The transport saw a native mention of the bot (nick, @username, reply to the bot).
    mentioned: bool = False
    threadId: str | None = None
    replyTo: str | None = None
    #: For a pairing reply: the line naming the sender's id (C{Your Telegram user id: 123}).
    idLine: str = ""
    receivedAtMs: int = 0
    #: Filled by the durable queue on commit.
    extra: dict = field(default_factory=dict)

    @property
    def chat(self) -> ChatRef:
        return ChatRef(self.chatType, self.peerId, self.threadId)

    def record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def fromRecord(cls, record: dict[str, Any]) -> "InboundMessage":
        record = dict(record)
        record["senderIds"] = tuple(record.get("senderIds") or ())
        return cls(**record)


class ITransportEvents(Interface):
    """What a transport tells its account runner."""

    def connected() -> None:
        """The transport is ready (IRC 001, Telegram polling started)."""

    def disconnected(reason: str) -> None:
        """The connection went; the transport may be reconnecting on its own."""

    def activity() -> None:
        """Bytes came in (for the stale-socket check)."""

    def inbound(message: InboundMessage) -> Any:
        """A message; returns a Deferred that fires once it is committed durably (ack after that)."""

    def inboundBatch(messages: list, offset: Any) -> Any:
        """Messages and the transport's next offset, committed in one transaction; a Deferred as above."""


class ITransport(Interface):
    """One account's connection to its chat service."""

    def isSelf(message: InboundMessage) -> bool:
        """Whether the bot itself sent C{message} (the self-filter)."""

    def run(events: ITransportEvents) -> Any:
        """Connect and serve until told to stop (fires None) or the session fails (errback)."""

    def stop() -> Any:
        """End the session (QUIT, stop polling); C{run}'s Deferred fires soon after."""

    def send(chat: ChatRef, text: str, replyTo: str | None) -> Any:
        """Deliver C{text} to C{chat}, chunked by the channel's rules; fires when sent."""

    def target(to: str) -> ChatRef:
        """The chat an operator's target names (C{send}, C{openclaw message send}); ValueError if none."""

    def typing(chat: ChatRef) -> Any:
        """Show a typing indicator where the channel has one (else nothing)."""

    def probe(timeoutSeconds: float) -> Any:
        """A live check with its own short connection; fires with the C{probe} record."""

    def describe() -> dict:
        """Extra fields (no secrets) of the account's status snapshot: mode, host, port, …."""
