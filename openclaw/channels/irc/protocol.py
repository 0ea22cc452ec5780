"""
The IRC client protocol of one connection (C{twisted.words}): registration with
C{PASS}/C{NICK}/C{USER}, nick collisions (NickServ GHOST, then C{<nick>_},
C{<nick>_2}, …), NickServ identify and JOIN after C{001}, C{PING}/C{PONG}, and
C{PRIVMSG}s handed to the transport. It knows nothing of policies.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.words.protocols import irc

MAX_NICK = 30
MAX_FALLBACKS = 9
#: Replies that end a registration at once.
_FATAL = {"432": "ERR_ERRONEUSNICKNAME", "464": "ERR_PASSWDMISMATCH", "465": "ERR_YOUREBANNEDCREEP"}


class IrcLoginError(Exception):
    pass


def fallback_nick(nick: str, attempt: int) -> str:
    """C{nick_} for the first fallback, then C{nick_2}, C{nick_3} …, at most 30 characters."""
    suffix = "_" if attempt == 1 else f"_{attempt}"
    return nick[: MAX_NICK - len(suffix)] + suffix


class IrcClientProtocol(irc.IRCClient):
    heartbeatInterval = None  # the server PINGs us; we answer

    def __init__(self, config: Any, handler: Any) -> None:
        self.config = config
        self.handler = handler
        self.nickname = config.nick
        self.username = config.username
        self.realname = config.realname
        self.password = config.password
        self.ready: Deferred = Deferred()
        self._ghosted = False
        self._fallbacks = 0

    # registration ---------------------------------------------------------------------

    def register(self, nickname: str, hostname: str = "0", servername: str = "*") -> None:
        if self.password:
            self.sendLine(f"PASS {self.password}")
        self.setNick(nickname)
        self.sendLine(f"USER {self.username} 0 * :{self.realname}")

    def irc_ERR_NICKNAMEINUSE(self, prefix: str, params: list[str]) -> None:
        if self._registered:
            return
        nickserv = self.config.nickserv
        if nickserv.enabled and not self._ghosted:
            self._ghosted = True
            self.sendLine(f"PRIVMSG {nickserv.service} :GHOST {self.config.nick} {nickserv.password}")
            self.setNick(self.config.nick)
            return
        self._fallbacks += 1
        if self._fallbacks > MAX_FALLBACKS:
            self._fail(f"IRC login failed (433): {params[-1] if params else 'nickname in use'}")
            return
        self.setNick(fallback_nick(self.config.nick, self._fallbacks))

    irc_ERR_NICKCOLLISION = irc_ERR_NICKNAMEINUSE

    def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
        if command in _FATAL and not self._registered:
            self._fail(f"IRC login failed ({command}): {params[-1] if params else _FATAL[command]}")

    def irc_ERR_ERRONEUSNICKNAME(self, prefix: str, params: list[str]) -> None:
        self.irc_unknown(prefix, "432", params)

    def irc_ERR_PASSWDMISMATCH(self, prefix: str, params: list[str]) -> None:
        self.irc_unknown(prefix, "464", params)

    def irc_ERR_YOUREBANNEDCREEP(self, prefix: str, params: list[str]) -> None:
        self.irc_unknown(prefix, "465", params)

    def _fail(self, message: str) -> None:
        if not self.ready.called:
            self.ready.errback(IrcLoginError(message))
        self.transport.loseConnection()

    def irc_RPL_WELCOME(self, prefix: str, params: list[str]) -> None:
        self._attemptedNick = params[0] if params else self._attemptedNick
        super().irc_RPL_WELCOME(prefix, params)

    def signedOn(self) -> None:
        nickserv = self.config.nickserv
        if nickserv.enabled:
            self.sendLine(f"PRIVMSG {nickserv.service} :IDENTIFY {nickserv.password}")
            if nickserv.register:
                self.sendLine(f"PRIVMSG {nickserv.service} :REGISTER {nickserv.password} {nickserv.registerEmail}")
        for channel in self.config.channels:
            self.sendLine(f"JOIN {channel}")
        if not self.ready.called:
            self.ready.callback(self.nickname)

    # traffic ------------------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        self.handler.activity()
        super().dataReceived(data)

    def irc_PING(self, prefix: str, params: list[str]) -> None:
        self.sendLine(f"PONG :{params[-1]}")

    def privmsg(self, user: str, channel: str, message: str) -> None:
        if "!" in user and message.strip():
            self.handler.privmsg(self, user, channel, message)

    def noticed(self, user: str, channel: str, message: str) -> None:
        """A NOTICE is never a message to answer."""

    def quit(self, message: str = "") -> None:
        self.sendLine(f"QUIT :{message}")
        self.transport.loseConnection()

    def connectionLost(self, reason: Any) -> None:
        super().connectionLost(reason)
        if not self.ready.called:
            self.ready.errback(IrcLoginError("IRC connection closed before ready"))
        self.handler.lost(self, reason)
