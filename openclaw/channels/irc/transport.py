"""
An IRC account's transport: connects (TCP or TLS with SNI and certificate checks
by C{service_identity}), registers within 15 s, reconnects 1 s after a ready
connection drops, turns C{PRIVMSG}s into inbound messages (DMs and channel
messages, mentions detected), and sends replies as plain text in chunks that fit
the 512-byte line. The probe uses its own short connection.
"""

from __future__ import annotations

import re
from typing import Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.endpoints import HostnameEndpoint, connectProtocol, wrapClientTLS
from twisted.internet.interfaces import IReactorTime
from twisted.internet.ssl import optionsForClientTLS
from twisted.logger import Logger
from zope.interface import implementer

from openclaw.channels.base import DIRECT, GROUP, ChatRef, InboundMessage, ITransport
from openclaw.channels.irc.config import IrcConfig
from openclaw.channels.irc.protocol import IrcClientProtocol
from openclaw.channels.text import chunk_text, flatten_markdown

_log = Logger(namespace="gateway/channels/irc")

REGISTRATION_TIMEOUT = 15.0
RECONNECT_DELAY = 1.0
PROBE_TIMEOUT = 8.0
LINE_BYTES = 512
_NICK_CHARS = r"[\w\[\]\\`^{}|-]"


def irc_lower(text: str) -> str:
    """RFC 1459 case folding: C{[]\\~} are the upper case of C{{}|^}."""
    return text.lower().translate(str.maketrans("[]\\~", "{}|^"))


def mentions(text: str, nick: str) -> bool:
    """Whether C{nick} appears in C{text} as a whole word (case-folded, C{nick:} and C{nick,} too)."""
    pattern = rf"(?<!{_NICK_CHARS}){re.escape(irc_lower(nick))}(?!{_NICK_CHARS})"
    return re.search(pattern, irc_lower(text)) is not None


def strip_address(text: str, nick: str) -> str:
    """C{bot: hello} → C{hello} (a leading address to the bot is not part of the message)."""
    m = re.match(rf"\s*{re.escape(irc_lower(nick))}\s*[:,]\s*", irc_lower(text))
    return text[m.end():] if m else text


def privmsg_lines(target: str, text: str, maxChars: int) -> list[str]:
    """C{PRIVMSG} lines for C{text}: Markdown flattened, one or more chunks per line, each under 512 bytes."""
    budget = LINE_BYTES - len(f"PRIVMSG {target} :\r\n".encode("utf-8"))
    lines = []
    for line in flatten_markdown(text).split("\n"):
        for chunk in chunk_text(line, maxChars, budget):
            lines.append(f"PRIVMSG {target} :{chunk}")
    return lines


@implementer(ITransport)
class IrcTransport:
    def __init__(self, config: IrcConfig, accountId: str, reactor: Any, clock: IReactorTime) -> None:
        self.config = config
        self.accountId = accountId
        self._reactor = reactor
        self._clock = clock
        self._protocol: IrcClientProtocol | None = None
        self._events: Any = None
        self._session: Deferred | None = None
        self._stopping = False
        self._epoch = 0
        self._seq = 0
        self._retry: Any = None

    # connections -----------------------------------------------------------------------

    def _endpoint(self, timeout: float) -> Any:
        endpoint = HostnameEndpoint(self._reactor, self.config.host, self.config.port, timeout=timeout)
        if self.config.tls:
            endpoint = wrapClientTLS(optionsForClientTLS(self.config.host), endpoint)
        return endpoint

    def _connect(self, handler: Any, timeout: float) -> Deferred:
        """Fires with a registered protocol, or fails (refused, timed out, login refused)."""
        protocol = IrcClientProtocol(self.config, handler)
        connecting = connectProtocol(self._endpoint(timeout), protocol)
        timer = self._clock.callLater(timeout, self._timedOut, protocol, connecting)

        def registered(_: Any) -> IrcClientProtocol:
            return protocol

        def done(result: Any) -> Any:
            if timer.active():
                timer.cancel()
            return result

        connecting.addErrback(lambda f: protocol.ready.called or protocol.ready.errback(f))
        return protocol.ready.addBoth(done).addCallback(registered)

    def _timedOut(self, protocol: IrcClientProtocol, connecting: Deferred) -> None:
        if not connecting.called:
            connecting.cancel()
        elif not protocol.ready.called:
            protocol.ready.errback(TimeoutError(f"IRC registration timed out after {REGISTRATION_TIMEOUT:.0f}s"))
            protocol.transport.abortConnection()

    def run(self, events: Any) -> Deferred:
        self._events = events
        self._stopping = False
        self._session = Deferred()
        self._open()
        return self._session

    def _open(self) -> None:
        self._retry = None
        self._epoch = int(self._clock.seconds() * 1000)
        self._seq = 0
        self._connect(self, REGISTRATION_TIMEOUT).addCallbacks(self._ready, self._failed)

    def _ready(self, protocol: IrcClientProtocol) -> None:
        if self._stopping:
            protocol.quit("shutdown")
            return
        self._protocol = protocol
        _log.info("[irc:{account}] connected to {host}:{port} as {nick}", account=self.accountId,
                  host=self.config.host, port=self.config.port, nick=protocol.nickname)
        self._events.connected()

    def _failed(self, failure: Any) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.errback(failure) if not self._stopping else session.callback(None)

    def lost(self, protocol: IrcClientProtocol, reason: Any) -> None:
        if protocol is not self._protocol:
            return
        self._protocol = None
        if self._stopping:
            session, self._session = self._session, None
            if session is not None:
                session.callback(None)
            return
        self._events.disconnected("IRC connection lost; reconnecting")
        self._retry = self._clock.callLater(RECONNECT_DELAY, self._open)

    def stop(self) -> Deferred:
        self._stopping = True
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
            self._failed(None)
        if self._protocol is not None:
            self._protocol.quit("shutdown")
        return succeed(None)

    # inbound -------------------------------------------------------------------------

    def activity(self) -> None:
        if self._events is not None:
            self._events.activity()

    def privmsg(self, protocol: IrcClientProtocol, user: str, target: str, text: str) -> None:
        if protocol is not self._protocol:
            return
        nick = user.split("!", 1)[0]
        identity = user.lower()
        ids = (identity, irc_lower(nick)) if self.config.allowNameMatching else (identity,)
        group = target[:1] in ("#", "&")
        self._seq += 1
        message = InboundMessage(
            channel="irc", accountId=self.accountId, chatType=GROUP if group else DIRECT,
            peerId=target if group else nick, senderId=identity, senderName=nick,
            text=strip_address(text, protocol.nickname) if group else text,
            messageId=f"local:{self._epoch}:{self._seq}", senderIds=ids,
            mentioned=group and mentions(text, protocol.nickname),
            idLine=f"Your IRC id: {identity}", receivedAtMs=int(self._clock.seconds() * 1000),
        )
        self._events.inbound(message).addErrback(
            lambda f: _log.failure("[irc:{account}] inbound message not queued", f, account=self.accountId)
        )

    def isSelf(self, message: InboundMessage) -> bool:
        protocol = self._protocol
        return protocol is not None and irc_lower(message.senderName) == irc_lower(protocol.nickname)

    # outbound ------------------------------------------------------------------------

    def send(self, chat: ChatRef, text: str, replyTo: str | None) -> Deferred:
        protocol = self._protocol
        if protocol is None:
            return fail(ConnectionError("IRC is not connected"))
        lines = privmsg_lines(chat.peerId, text, self.config.policy.textChunkLimit)
        if not lines:
            return fail(ValueError("message is empty after sanitising"))
        for line in lines:
            protocol.sendLine(line)
        return succeed(len(lines))

    def target(self, to: str) -> ChatRef:
        """C{#chan}, C{channel:#chan}, a nick or C{irc:<nick>}."""
        name = to.strip()
        for prefix in ("channel:", "irc:", "user:"):
            if name.lower().startswith(prefix):
                name = name[len(prefix):].strip()
        if not name or any(c in name for c in " \r\n\x00,"):
            raise ValueError(f"not an IRC target: {to!r}")
        return ChatRef(GROUP if name[:1] in ("#", "&") else DIRECT, name)

    def typing(self, chat: ChatRef) -> None:
        """IRC has no typing indicator."""

    # status -----------------------------------------------------------------------------

    def probe(self, timeoutSeconds: float) -> Deferred:
        started = self._clock.seconds()
        base = {"host": self.config.host, "port": self.config.port, "tls": self.config.tls, "nick": self.config.nick}

        def ok(protocol: IrcClientProtocol) -> dict:
            protocol.quit("probe")
            return {"ok": True, **base, "latencyMs": int((self._clock.seconds() - started) * 1000)}

        def failed(f: Any) -> dict:
            return {"ok": False, **base, "error": f.getErrorMessage() or f.type.__name__}

        return self._connect(_ProbeHandler(), min(timeoutSeconds, PROBE_TIMEOUT)).addCallbacks(ok, failed)

    def describe(self) -> dict:
        snapshot = self.config.snapshot()
        if self._protocol is not None:
            snapshot["nick"] = self._protocol.nickname
        return snapshot


class _ProbeHandler:
    """The probe's connection answers PINGs and ignores everything else."""

    def activity(self) -> None:
        pass

    def privmsg(self, *args: Any) -> None:
        pass

    def lost(self, *args: Any) -> None:
        pass


def make_transport(config: IrcConfig, accountId: str, reactor: Any, clock: IReactorTime, store: Any) -> IrcTransport:
    return IrcTransport(config, accountId, reactor, clock)
