"""
The one WebSocket RPC client of the gateway protocol, on the Twisted reactor.

    client = await connect(reactor, "ws://127.0.0.1:18789", token="…")
    health = await client.call("health")
    await client.close()

It speaks the protocol only: the CLI, the tests and the benchmarks use it against
our gateway or the real OpenClaw one alike.
"""

from __future__ import annotations

import itertools
import platform
import uuid
from typing import Any, Callable
from urllib.parse import urlsplit

from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol
from twisted.internet.defer import Deferred, TimeoutError, fail
from twisted.internet.endpoints import HostnameEndpoint

from openclaw import VERSION
from openclaw.protocol import frames


class GatewayCallError(Exception):
    """The gateway answered a request with an error frame."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.code: str = error.get("code", "")
        self.message: str = error.get("message", "")
        self.details: Any = error.get("details")
        self.error = error


class GatewayClosed(Exception):
    """The socket closed before the answer arrived."""

    def __init__(self, code: int | None, reason: str | None) -> None:
        super().__init__(f"gateway closed ({code}): {reason or ''}".rstrip(": "))
        self.code = code
        self.reason = reason or ""


class ConnectRejected(GatewayCallError):
    """The gateway refused the handshake; C{closeCode}/C{closeReason} follow once closed."""

    closeCode: int | None = None
    closeReason: str = ""


class _Protocol(WebSocketClientProtocol):
    def onOpen(self) -> None:
        self.factory.client._opened(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.factory.client._received(frames.decode(payload))

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.factory.client._closedWith(code, reason)


#: The connect params, or a function of the challenge payload that builds them
#: (a device signs the challenge's nonce).
ConnectParams = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]


class GatewayClient:
    def __init__(self, reactor: Any, connectParams: ConnectParams, onEvent: Callable[[dict], None] | None) -> None:
        self._reactor = reactor
        self._params = connectParams
        self._onEvent = onEvent
        self._ids = itertools.count(1)
        self._pending: dict[str, Deferred] = {}
        #: Requests answered twice (C{agent}): the C{accepted} answer is not the result.
        self._expectFinal: set[str] = set()
        self._proto: _Protocol | None = None
        self.hello: dict[str, Any] | None = None
        self.challenge: dict[str, Any] | None = None
        self.events: list[dict[str, Any]] = []
        #: Every frame received, in order, and the method of every request sent by id
        #: (tests check responses against the schema of their method).
        self.frames: list[dict[str, Any]] = []
        self.methods: dict[str, str] = {}
        #: Fires with the challenge payload: the socket is open and the gateway spoke first.
        self.challenged: Deferred = Deferred()
        self.ready: Deferred = Deferred()
        self.closed: Deferred = Deferred()
        self.closeCode: int | None = None
        self.closeReason: str = ""

    # wire ---------------------------------------------------------------------

    def _opened(self, proto: _Protocol) -> None:
        self._proto = proto

    def _nextId(self) -> str:
        return f"{next(self._ids)}:{uuid.uuid4()}"

    def sendFrame(self, frame: Any) -> None:
        """Send any JSON value as a text frame (tests use it for malformed frames)."""
        self.sendRaw(frames.encode(frame))

    def sendRaw(self, data: bytes) -> None:
        assert self._proto is not None
        self._proto.sendMessage(data)

    def _received(self, frame: dict[str, Any]) -> None:
        self.frames.append(frame)
        kind = frame.get("type")
        if kind == "event":
            if frame.get("event") == "connect.challenge" and self.hello is None and self.challenge is None:
                self.challenge = frame["payload"]
                self.challenged.callback(self.challenge)
                self._sendConnect()
                return
            self.events.append(frame)
            if self._onEvent is not None:
                self._onEvent(frame)
        elif kind == "res":
            requestId = frame["id"]
            if requestId in self._expectFinal and frame["ok"] and (frame.get("payload") or {}).get("status") == "accepted":
                return  # the first of two answers: the final one follows
            self._expectFinal.discard(requestId)
            d = self._pending.pop(requestId, None)
            if d is None:
                return
            if frame["ok"]:
                d.callback(frame.get("payload"))
            else:
                d.errback(GatewayCallError(frame["error"]))

    def _sendConnect(self) -> None:
        params = self._params(self.challenge or {}) if callable(self._params) else self._params
        d = self._request("connect", params)

        def welcomed(hello: dict[str, Any]) -> None:
            self.hello = hello
            self.ready.callback(self)

        def refused(failure):
            error = failure.value
            if isinstance(error, GatewayCallError):
                rejected = ConnectRejected(error.error)
                self.closed.addCallback(lambda _: None)
                self._rejection = rejected
                return None
            self.ready.errback(failure)

        d.addCallbacks(welcomed, refused)

    def _closedWith(self, code: int | None, reason: str | None) -> None:
        self.closeCode, self.closeReason = code, reason or ""
        closed = GatewayClosed(code, reason)
        pending, self._pending = self._pending, {}
        for d in pending.values():
            d.errback(closed)
        if not self.ready.called:
            rejection = getattr(self, "_rejection", None)
            if rejection is not None:
                rejection.closeCode, rejection.closeReason = code, reason or ""
                self.ready.errback(rejection)
            else:
                self.ready.errback(closed)
        self.closed.callback((code, reason or ""))

    # API ----------------------------------------------------------------------

    def _request(self, method: str, params: Any = None, expectFinal: bool = False) -> Deferred:
        if self.closed.called:  # the gateway went away (say, it restarted) since the last call
            return fail(GatewayClosed(self.closeCode, self.closeReason))
        requestId = self._nextId()
        d: Deferred = Deferred(lambda _: self._forget(requestId))  # cancel = forget it
        self._pending[requestId] = d
        if expectFinal:
            self._expectFinal.add(requestId)
        self.methods[requestId] = method
        self.sendFrame(frames.request(requestId, method, params))
        return d

    def _forget(self, requestId: str) -> None:
        self._pending.pop(requestId, None)
        self._expectFinal.discard(requestId)

    def call(self, method: str, params: Any = None, timeout: float | None = 30.0, expectFinal: bool = False) -> Deferred:
        """
        Send a request; fires with the payload or fails with L{GatewayCallError}.
        C{expectFinal}: for methods answered twice (C{agent}), wait past the
        C{accepted} answer for the final one.
        """
        d = self._request(method, params, expectFinal)
        if timeout:
            d.addTimeout(timeout, self._reactor)  # a timeout cancels: a late answer is dropped
        return d

    def close(self, code: int | None = None, reason: str | None = None) -> Deferred:
        if self._proto is not None and not self.closed.called:
            self._proto.sendClose(code, reason)
        return self.closed

    @property
    def scopes(self) -> list[str]:
        return list((self.hello or {}).get("auth", {}).get("scopes", []))


def connect_params(
    *,
    token: str | None = None,
    password: str | None = None,
    deviceToken: str | None = None,
    clientId: str = "cli",
    mode: str = "cli",
    scopes: tuple[str, ...] | list[str] = ("operator.read",),
    role: str = "operator",
    minProtocol: int = 4,
    maxProtocol: int = 4,
    displayName: str | None = None,
) -> dict[str, Any]:
    client: dict[str, Any] = {
        "id": clientId,
        "version": VERSION,
        "platform": platform.system().lower(),
        "deviceFamily": platform.system(),
        "mode": mode,
        "instanceId": str(uuid.uuid4()),
    }
    if displayName:
        client["displayName"] = displayName
    params: dict[str, Any] = {
        "minProtocol": minProtocol,
        "maxProtocol": maxProtocol,
        "client": client,
        "caps": [],
        "role": role,
        "scopes": list(scopes),
    }
    auth = {k: v for k, v in (("token", token), ("password", password), ("deviceToken", deviceToken)) if v}
    if auth:
        params["auth"] = auth
    return params


def open_socket(reactor: Any, url: str, params: ConnectParams | None, onEvent=None, timeout: float = 10.0, headers: dict[str, str] | None = None) -> tuple[GatewayClient, Deferred]:
    """
    Open the socket and run the handshake with C{params} (or, when None, send
    nothing after the challenge: tests drive such sockets by hand).
    Returns the client and a Deferred that fires when the TCP connection is up.
    """
    parts = urlsplit(url)
    client = GatewayClient(reactor, params or {}, onEvent)
    if params is None:
        client._sendConnect = lambda: None  # type: ignore[method-assign]
        client.ready.addErrback(lambda failure: None)  # nobody waits for a hello here
    factory = WebSocketClientFactory(url, reactor=reactor, headers=headers or {})
    factory.protocol = _Protocol
    factory.client = client
    factory.setProtocolOptions(autoPingInterval=0, openHandshakeTimeout=timeout)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    endpoint = HostnameEndpoint(reactor, host, port, timeout=timeout)
    return client, endpoint.connect(factory)


async def connect(
    reactor: Any,
    url: str,
    *,
    timeout: float = 10.0,
    onEvent=None,
    sign: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
    **kwargs: Any,
) -> GatewayClient:
    """
    Connect and complete the handshake; raises L{ConnectRejected} or L{GatewayClosed}.
    C{sign(params, challenge)} returns the C{device} block for the connect params.
    """
    params: ConnectParams = connect_params(**kwargs)
    if sign is not None:
        base = params
        params = lambda challenge: {**base, "device": sign(base, challenge)}  # noqa: E731
    client, connected = open_socket(reactor, url, params, onEvent, timeout)
    await connected
    ready = client.ready
    ready.addTimeout(timeout, reactor)
    try:
        return await ready
    except TimeoutError:
        await client.close()
        raise
