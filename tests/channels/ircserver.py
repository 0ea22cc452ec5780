"""
A real IRC server for tests: Debian's C{ngircd} on a loopback port of the test's
own, with its own config in the test's directory, started, killed and restarted
by the test; and a small real IRC client (twisted.words) that records what it gets.
"""

from __future__ import annotations

import os
import shutil
import signal

import pytest
from twisted.internet import protocol
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.words.protocols import irc

NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"
CHANNEL = "#openclaw"

_CONFIG = """\
[Global]
Name = irc.test.local
Info = test server
Listen = 127.0.0.1
Ports = {port}
MotdPhrase = test
[Limits]
MaxNickLength = 30
MaxConnectionsIP = 0
PingTimeout = 120
PongTimeout = 20
[Options]
PAM = no
Ident = no
DNS = no
[Channel]
Name = {channel}
Modes = +n
"""


def require_ngircd() -> None:
    if not os.access(NGIRCD, os.X_OK):
        pytest.skip("ngircd is not installed (.ci/run installs it)")


class _Output(protocol.ProcessProtocol):
    def __init__(self) -> None:
        self.text = ""
        self.waiting: list[tuple[str, Deferred]] = []
        self.ended: Deferred = Deferred()

    def outReceived(self, data: bytes) -> None:
        self.text += data.decode("utf-8", "replace")
        for item in list(self.waiting):
            if item[0] in self.text:
                self.waiting.remove(item)
                item[1].callback(None)

    errReceived = outReceived

    def processEnded(self, reason) -> None:
        for _, d in self.waiting:
            d.errback(RuntimeError(f"ngircd ended: {self.text[-500:]}"))
        self.waiting.clear()
        self.ended.callback(None)

    def seen(self, text: str) -> Deferred:
        d = Deferred()
        if text in self.text:
            d.callback(None)
        else:
            self.waiting.append((text, d))
        return d


class IrcServer:
    def __init__(self, reactor, directory: str, port: int) -> None:
        self.reactor = reactor
        self.port = port
        self.config = os.path.join(directory, "ngircd.conf")
        with open(self.config, "w") as f:
            f.write(_CONFIG.format(port=port, channel=CHANNEL))
        self._process = None
        self._output: _Output | None = None

    async def start(self) -> None:
        self._output = _Output()
        self._process = self.reactor.spawnProcess(
            self._output, NGIRCD, [NGIRCD, "-n", "-f", self.config], env={"PATH": os.environ.get("PATH", "")}
        )
        await self._output.seen(f"listening on [127.0.0.1]:{self.port}")

    async def kill(self) -> None:
        """SIGKILL: every connection drops at once."""
        if self._output is not None and not self._output.ended.called:
            self._process.signalProcess(signal.SIGKILL)
            await self._output.ended

    async def stop(self) -> None:
        if self._output is not None and not self._output.ended.called:
            self._process.signalProcess(signal.SIGTERM)
            await self._output.ended


class IrcUser(irc.IRCClient):
    """A person on IRC: records private and channel messages."""

    heartbeatInterval = None

    def __init__(self, nick: str) -> None:
        self.nickname = nick
        self.received: list[tuple[str, str, str]] = []
        self.signed: Deferred = Deferred()
        self._waiting: list[tuple[object, Deferred]] = []
        self.joinedChannels: list[str] = []

    def signedOn(self) -> None:
        self.signed.callback(self)

    def joined(self, channel: str) -> None:
        self.joinedChannels.append(channel)
        self._check()

    def privmsg(self, user: str, channel: str, message: str) -> None:
        self.received.append((user.split("!", 1)[0], channel, message))
        self._check()

    def userJoined(self, user: str, channel: str) -> None:
        self.received.append((user, channel, "<join>"))
        self._check()

    def _check(self) -> None:
        for item in list(self._waiting):
            if item[0](self):
                self._waiting.remove(item)
                item[1].callback(self)

    def until(self, predicate, reactor, timeout: float = 20.0) -> Deferred:
        d = Deferred()
        if predicate(self):
            d.callback(self)
            return d
        self._waiting.append((predicate, d))
        return d.addTimeout(timeout, reactor)

    def lines_from(self, nick: str, target: str | None = None) -> list[str]:
        return [m for n, t, m in self.received if n == nick and (target is None or t == target) and m != "<join>"]


async def connect_user(reactor, port: int, nick: str) -> IrcUser:
    user = IrcUser(nick)
    await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port), user)
    await user.signed.addTimeout(20, reactor)
    return user
