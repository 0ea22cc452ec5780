"""
The RPC method registry. Each family module (listed in C{tree.METHOD_FAMILIES}) defines
C{register(registry, tree, shell)} (the L{openclaw.gateway.tree.GatewayTree} it serves,
and the L{openclaw.gateway.tree.ShellAccess} callables of the process shell) and adds
C{name → Method(scope, handler, params)} and the names of the events it sends
(C{registry.addEvent}); a handler receives C{(params, ctx)} and returns a value or a
Deferred, or raises L{GatewayError}.

The L{CallContext} is all a handler sees of its caller's connection: who is calling,
and the few things a handler may do there (answer early, send events, hold
subscriptions, run blocking work in its share of the thread pool). No handler
writes to a transport, and none outlives its connection: when the connection
closes, the Deferred a handler returned is cancelled, its C{onClose} cleanups run,
and the connection's subscriptions end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from openclaw.protocol import scopes
from openclaw.protocol.errors import GatewayError, invalid_params, missing_scope, unknown_method
from openclaw.protocol.validation import Checker

if TYPE_CHECKING:
    from twisted.internet.defer import Deferred

    from openclaw.gateway.connection import GatewayConnection

Handler = Callable[[dict, "CallContext"], Any]


@dataclass(frozen=True)
class Method:
    scope: str
    handler: Handler
    #: Validates the params object against the method's JSON Schema.
    params: Checker
    #: Whether C{{}} is valid params (decided once: most calls of most methods send no params).
    acceptsEmpty: bool


class CallContext:
    """
    One request as its handler sees it: who is calling, and what it may do on the
    caller's connection. Everything here is a no-op once the connection has closed.
    """

    __slots__ = ("requestId", "method", "_conn", "_cleanups")

    def __init__(self, conn: "GatewayConnection", requestId: str, method: str) -> None:
        self.requestId = requestId
        self.method = method
        self._conn = conn
        self._cleanups: list[Callable[[], None]] | None = None

    # who is calling ------------------------------------------------------------

    @property
    def connId(self) -> str:
        return self._conn.connId

    @property
    def role(self) -> str:
        return self._conn.role

    @property
    def scopes(self) -> tuple[str, ...]:
        return self._conn.scopes

    @property
    def clientId(self) -> str:
        return self._conn.client["id"]

    @property
    def clientMode(self) -> str:
        return self._conn.client["mode"]

    @property
    def caps(self) -> tuple[str, ...]:
        """The capabilities the caller declared when it connected."""
        return self._conn.caps

    @property
    def deviceId(self) -> str | None:
        """The paired device the connection authenticated as (None without a device)."""
        return self._conn.deviceId

    @property
    def peerIp(self) -> str:
        """The socket peer's address (rate limits of control-plane writes key on it)."""
        return self._conn.peerIp

    @property
    def open(self) -> bool:
        """Whether the caller is still connected."""
        return self._conn.open

    # talking back --------------------------------------------------------------

    def reply(self, payload: Any) -> None:
        """
        Answer now, ahead of the handler's result: the result still follows as a
        second C{res} frame with the same id (OpenClaw's two-stage C{agent} reply:
        C{{status: "accepted"}} first, the outcome last).
        """
        self._conn.answer(self.requestId, payload)

    def emit(self, event: str, payload: Any = None, dropIfSlow: bool = False) -> None:
        """
        Send C{event} (a registered name) to the caller, if its scopes may receive it,
        with the connection's next C{seq}. C{dropIfSlow}: skip it for a client that
        is not reading, rather than close that client.
        """
        self._conn.emit(event, payload, dropIfSlow)

    def subscribe(self, name: str, stop: Callable[[], None]) -> None:
        """
        Hold a subscription for the caller's connection (C{name} such as
        C{"sessions"} or C{"run:<id>"}); C{stop} ends it, at the latest when the
        connection closes. Subscribing a name again stops the previous one first.
        """
        self._conn.subscribe(name, stop)

    def unsubscribe(self, name: str) -> bool:
        """End the subscription C{name}; False when there was none."""
        return self._conn.unsubscribe(name)

    def onClose(self, cleanup: Callable[[], None]) -> None:
        """Run C{cleanup} if the connection closes while this request is still being answered."""
        if self._cleanups is None:
            self._cleanups = []
        self._cleanups.append(cleanup)

    def inThread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> "Deferred":
        """
        Run blocking C{fn(*args, **kwargs)} in the reactor's thread pool, in the
        connection's share of it: a few calls of one connection at a time, the rest
        wait their turn outside the pool, so one client's pipelined reads cannot
        stall everybody else's. A call still waiting when the connection closes
        never runs.
        """
        return self._conn.inThread(fn, *args, **kwargs)

    def connectionLost(self) -> None:
        """The connection closed while this request was in flight: run the cleanups."""
        cleanups, self._cleanups = self._cleanups or (), None
        for cleanup in cleanups:
            cleanup()


class MethodRegistry:
    def __init__(self) -> None:
        self._methods: dict[str, Method] = {}
        self._events: dict[str, None] = {}  # an ordered set

    def add(self, name: str, scope: str, handler: Handler, params: Mapping[str, Any]) -> None:
        """Register C{name}; C{params} is the JSON Schema of its params object."""
        if name in self._methods:
            raise ValueError(f"method {name} registered twice")
        check = Checker(params)
        self._methods[name] = Method(scope, handler, check, check({}) is None)

    def names(self) -> list[str]:
        return list(self._methods)

    def addEvent(self, name: str) -> None:
        """
        Announce an event the gateway sends (hello-ok's C{features.events} lists them
        in the order they were added); only announced events are ever sent.
        """
        if name in self._events:
            raise ValueError(f"event {name} registered twice")
        self._events[name] = None

    def events(self) -> list[str]:
        return list(self._events)

    def checkEvent(self, event: str) -> None:
        """Raise L{ValueError} unless C{event} was announced (nothing unannounced is ever sent)."""
        if event not in self._events:
            raise ValueError(f"event {event} is not registered")

    def resolve(self, name: str, params: Any, ctx: CallContext) -> Method:
        """
        The method to run, after the scope check (which comes first, so an unknown
        method needs admin before it is reported as unknown) and params validation.
        """
        method = self._methods.get(name)
        required = method.scope if method else scopes.ADMIN
        if not scopes.satisfies(ctx.scopes, required):
            raise missing_scope(required)
        if method is None:
            raise unknown_method(name)
        if params.__class__ is dict and not params and method.acceptsEmpty:
            return method
        problem = method.params(params)
        if problem is not None:
            raise invalid_params(name, problem)
        return method


def closed(**properties: Any) -> dict[str, Any]:
    """A closed params schema with only optional properties."""
    return {"type": "object", "properties": properties, "additionalProperties": False}


__all__ = ["CallContext", "GatewayError", "Method", "MethodRegistry", "closed"]
