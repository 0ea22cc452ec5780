"""
The hub: every open socket, scope-filtered broadcast with per-connection C{seq},
presence and health state versions, the gateway-wide tick, and the shutdown prelude.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Iterable

from twisted.application.service import Service
from twisted.internet.defer import Deferred, DeferredList, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall, deferLater
from twisted.logger import Logger

from openclaw import VERSION
from openclaw.agents.runevents import SESSION_EVENTS
from openclaw.agents.runtime import AgentRuntime
from openclaw.agents.sessions.bus import messages_subscription
from openclaw.channels.manager import ChannelManager
from openclaw.gateway.auth import FailureLimiter
from openclaw.gateway.diagnostics import StabilityRecorder
from openclaw.gateway.health import HealthMonitor
from openclaw.gateway.heap import AfterBursts
from openclaw.gateway.pairing import PairingStore
from openclaw.gateway.presence import Presence
from openclaw.gateway.methods import MethodRegistry
from openclaw.settings import GatewaySettings
from openclaw.protocol import frames, scopes
from openclaw.protocol.handshake import CLOSE_SERVICE_RESTART

_log = Logger(namespace="gateway")

if TYPE_CHECKING:
    from openclaw.gateway.connection import GatewayConnection

#: How long a shutdown waits for peers to answer the close handshake.
CLOSE_GRACE = 2.0
#: WebSocket ping period; a client that has not answered the previous ping is dropped.
PING_INTERVAL = 25.0

#: The events the hub itself sends; method families add theirs (C{registry.addEvent}).
EVENTS = ("connect.challenge", "tick", "health", "presence", "shutdown")


class Hub(Service):
    name = "hub"

    def __init__(
        self,
        settings: GatewaySettings,
        clock: IReactorTime,
        methods: MethodRegistry,
        agents: AgentRuntime,
        channels: ChannelManager,
    ) -> None:
        self.settings = settings
        self.agents = agents
        self.channels = channels
        self.clock = clock
        self.methods = methods
        for event in EVENTS:
            methods.addEvent(event)
        self.bootId = str(uuid.uuid4())
        self.startedAt = clock.seconds()
        self.presence = Presence(clock, self.bootId)
        #: One failed-auth limiter for every surface of the port (WebSocket and HTTP).
        self.limiter = FailureLimiter(clock, settings.rateLimit)
        #: What C{diagnostics.stability} reports.
        self.diagnostics = StabilityRecorder(clock)
        self.health: HealthMonitor | None = None
        self.pairing: PairingStore | None = None
        self.stateVersion = {"presence": 1, "health": 1}
        self.sockets: set[GatewayConnection] = set()
        #: Gives the heap back after a burst of connections has closed.
        self.afterBursts = AfterBursts(clock)
        self.clients: dict[str, GatewayConnection] = {}
        #: The clients that declared C{session-scoped-events}.
        self.sessionScoped: set[GatewayConnection] = set()
        self.accepting = True
        self._tick = LoopingCall(self._sendTick)
        self._tick.clock = clock
        self._ping = LoopingCall(self._sendPings)
        self._ping.clock = clock

    # lifecycle -------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self.accepting = True
        self._tick.start(self.settings.tickIntervalMs / 1000, now=False)
        self._ping.start(PING_INTERVAL, now=False)

    def stopService(self) -> Deferred:
        super().stopService()
        for loop in (self._tick, self._ping):
            if loop.running:
                loop.stop()
        self.afterBursts.stop()
        return self.shutdown("gateway stopping")

    def shutdown(self, reason: str, restartExpectedMs: int | None = None) -> Deferred:
        """
        Announce C{shutdown} to every client, close every socket with 1012, and fire
        once the peers are gone (or after a short grace period).
        """
        self.accepting = False
        payload: dict[str, Any] = {"reason": reason}
        if restartExpectedMs is not None:
            payload["restartExpectedMs"] = restartExpectedMs
        self.broadcast("shutdown", payload)
        closing = [conn.whenClosed() for conn in self.sockets]
        for conn in list(self.sockets):
            conn.closeWith(CLOSE_SERVICE_RESTART, "service restart")
        if not closing:
            return succeed(None)
        grace = deferLater(self.clock, CLOSE_GRACE, lambda: None)
        done = DeferredList(closing, consumeErrors=True)
        first = DeferredList([done, grace], fireOnOneCallback=True, consumeErrors=True)
        first.addCallback(lambda _: self._abortLeftovers())
        first.addBoth(lambda _: grace.cancel() if not grace.called else None)
        return first

    def _abortLeftovers(self) -> None:
        for conn in list(self.sockets):
            conn.abort()

    def reconfigure(self, settings: GatewaySettings) -> None:
        """
        Hot reload: new connects are checked against C{settings} (shared secret,
        origins, rate-limit policy); open connections stay as they are, and the
        limiter keeps the failures and lock-outs it recorded.
        """
        self.settings = settings
        self.limiter.policy = settings.rateLimit

    # connections -------------------------------------------------------------

    def opened(self, conn: "GatewayConnection") -> None:
        self.sockets.add(conn)
        self.afterBursts.opened()

    def authenticated(self, conn: "GatewayConnection") -> None:
        self.clients[conn.connId] = conn
        if conn.sessionScoped:
            self.sessionScoped.add(conn)
        if self.presence.tracks(conn.client):
            self.presence.connected(conn.connId, conn.client, conn.role, list(conn.scopes), conn.deviceId)
            self._presenceChanged()
        if self.health is not None:
            self.health.soon()

    def closed(self, conn: "GatewayConnection") -> None:
        if conn in self.sockets:
            self.sockets.discard(conn)
            self.afterBursts.closed()
        self.sessionScoped.discard(conn)
        if self.clients.pop(conn.connId, None) is not None and self.presence.disconnected(conn.connId, conn.client):
            self._presenceChanged()

    # state -------------------------------------------------------------------

    def connectedDevices(self) -> frozenset[str]:
        return frozenset(c.deviceId for c in self.clients.values() if c.deviceId is not None)

    def deviceConnections(self, deviceId: str, role: str | None = None) -> list["GatewayConnection"]:
        """The live connections authenticated as C{deviceId} (in C{role}, when given)."""
        return [c for c in self.clients.values() if c.deviceId == deviceId and role in (None, c.role)]

    def uptimeMs(self) -> int:
        return int((self.clock.seconds() - self.startedAt) * 1000)

    def presenceFor(self, granted: Iterable[str]) -> list[dict[str, Any]]:
        return self.presence.entries() if scopes.satisfies(granted, scopes.READ) else []

    def _presenceChanged(self) -> None:
        self.stateVersion["presence"] += 1
        self.broadcast("presence", {"presence": self.presence.entries()}, withState=True, dropIfSlow=True)

    def healthCommitted(self, snapshot: dict[str, Any]) -> None:
        self.stateVersion["health"] += 1
        self.broadcast("health", snapshot, withState=True)

    def serverInfo(self, connId: str) -> dict[str, Any]:
        return {"version": VERSION, "bootId": self.bootId, "connId": connId}

    def sessionDefaults(self) -> dict[str, Any]:
        agentId = self.agents.defaultAgentId
        return {"defaultAgentId": agentId, "mainKey": "main", "mainSessionKey": f"agent:{agentId}:main", "scope": "per-sender"}

    def features(self) -> dict[str, list[str]]:
        return {"methods": self.methods.names(), "events": self.methods.events()}

    # events ------------------------------------------------------------------

    def broadcast(
        self, event: str, payload: Any, withState: bool = False, dropIfSlow: bool = False, sessionKey: str | None = None,
    ) -> None:
        """
        Send C{event} to every authenticated client whose scopes may receive it. The
        frame is encoded once, and whether a set of scopes may receive it is decided
        once per distinct set; each client only adds its own C{seq}. An C{agent} or
        C{chat} event reaches a client that declared C{session-scoped-events} only
        when it subscribed to C{sessionKey} (the event's session).
        """
        self.methods.checkEvent(event)
        encoded = frames.EncodedEvent(event, payload, dict(self.stateVersion) if withState else None)
        receives: dict[tuple[str, ...], bool] = {}
        skip = self._unsubscribed(sessionKey) if self.sessionScoped and event in SESSION_EVENTS else None
        for conn in list(self.clients.values()):
            if skip and conn in skip:
                continue
            granted = conn.scopes
            allowed = receives.get(granted)
            if allowed is None:
                allowed = receives[granted] = scopes.may_receive(granted, event)
            if allowed:
                try:
                    conn.sendEncoded(encoded, dropIfSlow)
                except Exception:
                    # one broken client must not stop delivery to the others, nor the timers
                    _log.failure("could not send {event} to conn={conn}", event=event, conn=conn.connId)
                    conn.abort()

    def _unsubscribed(self, sessionKey: str | None) -> set["GatewayConnection"]:
        """The session-scoped clients not subscribed to C{sessionKey} (all of them for an event of no session)."""
        if sessionKey is None:
            return set(self.sessionScoped)
        name = messages_subscription(sessionKey)
        return {conn for conn in self.sessionScoped if not conn.calls.holds(name)}

    def _sendPings(self) -> None:
        for conn in list(self.clients.values()):
            try:
                conn.keepalive()
            except Exception:
                _log.failure("ping failed on conn={conn}", conn=conn.connId)
                conn.abort()

    def _sendTick(self) -> None:
        self.broadcast("tick", {"ts": int(self.clock.seconds() * 1000)})

