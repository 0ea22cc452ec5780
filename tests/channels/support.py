"""Shared pieces of the channel tests: a recording dispatcher and a manager on a real reactor."""

from __future__ import annotations

from twisted.internet.defer import Deferred, succeed
from zope.interface import implementer

from openclaw.agents.settings import SessionSettings
from openclaw.channels.dispatch import IDispatcher
from openclaw.channels.manager import ChannelManager
from openclaw.channels.settings import ChannelsSettings


@implementer(IDispatcher)
class EchoDispatcher:
    """Answers each turn with C{echo: <text>} (or what C{answer(turn)} returns) and records it."""

    def __init__(self, answer=None) -> None:
        self.turns = []
        self.answer = answer or (lambda turn: [f"echo: {turn.body.rsplit('] ', 1)[-1]}"])
        self._waiting: list[tuple[int, Deferred]] = []

    def dispatch(self, turn):
        self.turns.append(turn)
        for item in list(self._waiting):
            if len(self.turns) >= item[0]:
                self._waiting.remove(item)
                item[1].callback(turn)
        return succeed(self.answer(turn))

    def until(self, count: int, reactor, timeout: float = 20.0) -> Deferred:
        d = Deferred()
        if len(self.turns) >= count:
            d.callback(self.turns[-1])
            return d
        self._waiting.append((count, d))
        return d.addTimeout(timeout, reactor)


def manager_for(config: dict, reactor, stateDir: str, dispatcher=None, clock=None, environ=None) -> ChannelManager:
    settings = ChannelsSettings.fromConfig(config, environ or {}, None, SessionSettings.fromConfig(config))
    return ChannelManager(settings, reactor, clock or reactor, stateDir, dispatcher)
