"""
One WebSocket client of the gateway, from challenge to close.

Phases: C{challenged} (waiting for C{connect}), C{authenticating} (a failed
secret is being answered after its delay), C{ready} (hello-ok sent; requests are
dispatched to the method registry), C{closing}.
"""

from __future__ import annotations

import uuid
from types import CoroutineType, MappingProxyType
from typing import Any, Mapping
from urllib.parse import urlsplit

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.protocol import PayloadExceededError
from twisted.internet.defer import CancelledError, Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer
from twisted.internet.interfaces import IPushProducer

from openclaw.agents.runevents import SESSION_SCOPED_EVENTS
from openclaw.gateway import auth, deviceauth, heap, wire
from openclaw.bindhost import is_loopback
from openclaw.gateway.calls import Calls, too_many_in_flight
from openclaw.gateway.methods import CallContext
from openclaw.protocol import frames, handshake, scopes
from openclaw.protocol.errors import INVALID_REQUEST, UNAVAILABLE, GatewayError
from openclaw.protocol.handshake import Rejection
from openclaw.protocol.validation import checker

_log = Logger(namespace="gateway/ws")


PREAUTH_MAX_PAYLOAD = 65_536
MAX_PAYLOAD = 26_214_400
MAX_BUFFERED_BYTES = 52_428_800
SLOW_CALL_MS = 50
_LOGGED_NAME_MAX = 80
CLOSE_INTERNAL_ERROR = 1011
_CLOSE_REASON_MAX = 120
#: How long a close frame we owe the peer may take to drain before the TCP connection is aborted.
CLOSE_FLUSH_TIMEOUT = 2.0

_checkRequestFrame = checker("RequestFrame")
#: Handler results that are answers already (checked before the slower Deferred test).
_PLAIN = (type(None), dict, list, str, int, float)
_NO_HEADERS: Mapping[str, str] = MappingProxyType({})
#: What autobahn keeps of the upgrade after the handshake (none of it is read again).
_UPGRADE_LEFTOVERS = (
    "http_status_line", "http_headers", "http_request_data", "http_request_uri", "http_request_path",
    "http_request_params", "http_request_host", "http_response_data", "_wskey",
)


def _truncate(reason: str) -> str:
    raw = reason.encode("utf-8")[:_CLOSE_REASON_MAX]
    return raw.decode("utf-8", "ignore")


def _origin_is_local(origin: str) -> bool:
    host = urlsplit(origin).hostname or ""
    return is_loopback(host)


@implementer(IPushProducer)
class GatewayConnection(WebSocketServerProtocol):
    #: autobahn copies these settings from the factory onto every connection and
    #: pretty-prints them for a debug line, even with debug logging off, which cost
    #: more than the rest of a handshake. Our factory puts them on a class of its
    #: own instead (see L{GatewayWebSocketFactory}), so there is nothing to copy.
    CONFIG_ATTRS = ()

    def __init__(self) -> None:
        super().__init__()
        self.connId = str(uuid.uuid4())
        self.phase = "opening"
        self.seq = 0
        self.role = "operator"
        self.scopes: tuple[str, ...] = ()
        self.client: dict[str, Any] = {}
        #: What the client declared it can take (C{connect caps}), e.g. C{tool-events}.
        self.caps: tuple[str, ...] = ()
        #: Declared C{session-scoped-events}: C{agent}/C{chat} only for the sessions it subscribed to.
        self.sessionScoped = False
        #: The verified device this connection authenticated as, if any.
        self.deviceId: str | None = None
        self._nonce = ""
        self._timer = None
        self._paused = False
        self._flushOnDrop = False
        self._dropTimer = None
        self._slow = False
        self._awaitingPong = False
        self._closedWaiters: list[Deferred] = []
        self._peerIp = ""
        self._peer = ""
        self._local = False
        self._headers: Mapping[str, str] = _NO_HEADERS
        #: What handlers have going on here (from hello-ok on).
        self.calls: Calls | None = None

    @property
    def hub(self):
        return self.factory.hub

    @property
    def peerIp(self) -> str:
        return self._peerIp

    @property
    def open(self) -> bool:
        return self.phase == "ready"

    # WebSocket lifecycle -----------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        """
        Whole text messages are read here (L{wire.text_message}); the first frame
        that is anything else, and all after it, go to autobahn's framing code
        (not its own dataReceived, which formats a debug line per chunk even with
        debug logging off).
        """
        at = 0
        while self.state == self.STATE_OPEN and self.current_frame is None and not self.inside_message and not self.data:
            found = wire.text_message(data, at, self.maxMessagePayloadSize)
            if found is None:
                break
            payload, at = found
            self.onMessage(payload, False)
            if at == len(data):
                return
        self._dataReceived(data[at:] if at else data)

    def onMessageEnd(self) -> None:
        # autobahn's also fires an observer signal per message, through a future
        # (nobody observes ours); the rest of its work is this:
        if not self.failedByMe:
            self.onMessage(b"".join(self.message_data), self.message_is_binary)
        self.message_data = None

    def onConnect(self, request) -> None:
        peer = self.transport.getPeer()
        # (a UNIX-socket peer, from an embedding's unix: endpoint, has no address)
        self._peerIp = getattr(peer, "host", "")
        self._peer = f"{peer.host}:{peer.port}" if self._peerIp else "unix"
        self._headers = request.headers
        self._local = auth.is_direct_local(self._peerIp, self._headers)

    def onOpen(self) -> None:
        hub = self.hub
        hub.opened(self)
        self.transport.unregisterProducer()  # the HTTP channel that carried the upgrade
        self.transport.registerProducer(self, True)
        self.maxMessagePayloadSize = self.maxFramePayloadSize = PREAUTH_MAX_PAYLOAD
        self.phase = "challenged"
        self._nonce = str(uuid.uuid4())
        self._send(frames.event("connect.challenge", {"nonce": self._nonce, "ts": self._nowMs()}))
        self._timer = hub.clock.callLater(
            hub.settings.handshakeTimeoutMs / 1000, self._handshakeExpired
        )

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        try:
            if self.phase == "ready":
                self._request(payload)
            elif self.phase == "challenged":
                self._connect(payload)
            # frames that arrive while a failed connect is being answered are dropped
        except Exception:
            _log.failure("internal error on conn={conn}", conn=self.connId)
            self.closeWith(CLOSE_INTERNAL_ERROR, "internal error")

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self._cancelTimer()
        if self.phase == "ready":
            _log.debug("client closed conn={conn} code={code}", conn=self.connId, code=code)
        self.phase = "closed"
        if self.calls is not None:
            self.calls.close()
        self.hub.closed(self)
        waiters, self._closedWaiters = self._closedWaiters, []
        for d in waiters:
            d.callback(None)

    def keepalive(self) -> None:
        """
        Ping, unless the last ping went unanswered: then the peer is gone, or (when
        it has not been reading what we send, so we stopped reading it) too slow.
        """
        if self._awaitingPong:
            if self._paused:
                self._slowConsumer()
                return
            _log.info("ping timeout conn={conn}; dropping", conn=self.connId)
            self.abort()
            return
        self._awaitingPong = True
        self.sendPing()

    def onPong(self, payload: bytes) -> None:
        self._awaitingPong = False

    def connectionLost(self, reason) -> None:
        if self._dropTimer is not None and self._dropTimer.active():
            self._dropTimer.cancel()
        self._dropTimer = None
        super().connectionLost(reason)
        # autobahn resolves is_closed with the protocol itself, and the transport
        # refers to us as we do to it: cycles that would keep every closed connection
        # (and what its transport still buffered) alive until the next full collection.
        self.is_closed = None
        self.transport = None
        if self._slow:  # it may have left the buffered-bytes limit behind
            self.hub.clock.callLater(0, heap.give_back)

    # producer: tells us when the peer stops reading ---------------------------

    def pauseProducing(self) -> None:
        """
        The peer does not read what we send as fast as we send it: stop reading its
        requests too, so a client that never reads cannot make us answer (and
        buffer) without end; what it sent waits in its own socket.
        """
        self._paused = True
        self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        self._paused = False
        self.transport.resumeProducing()

    def stopProducing(self) -> None:
        self._paused = True

    # protocol errors ---------------------------------------------------------

    def _fail_connection(self, code: int = 1001, reason: str = "going away") -> None:
        # autobahn answers a protocol error (say, a close frame with code 999) with a
        # close frame, then takes the peer's close frame that caused it as the reply
        # and aborts the TCP connection: the abort throws our close frame away unsent.
        self._flushOnDrop = True
        super()._fail_connection(code, reason)

    def dropConnection(self, abort: bool = False) -> None:
        if abort and self._flushOnDrop and self.state != self.STATE_CLOSED:
            abort = False  # let the close frame we owe drain first, for a little while
            self._dropTimer = self.hub.clock.callLater(CLOSE_FLUSH_TIMEOUT, self.transport.abortConnection)
        super().dropConnection(abort)

    # handshake ---------------------------------------------------------------

    def _handshakeExpired(self) -> None:
        self._timer = None
        if self.phase in ("challenged", "authenticating"):
            self.closeWith(handshake.CLOSE_NORMAL)

    def _connect(self, payload: bytes) -> None:
        try:
            frame = frames.decode(payload)
        except frames.TooDeep:
            self._reject(None, handshake.invalid_frame())
            return
        except ValueError:  # not JSON: closed as OpenClaw does, without a reason
            self.closeWith(handshake.CLOSE_NORMAL)
            return
        requestId = frame.get("id") if isinstance(frame, dict) else None
        try:
            requestId, params = handshake.first_request(frame)
            if not self.hub.accepting:
                raise handshake.restarting()
            handshake.negotiate(params)
            self.role = handshake.role_of(params)
            self._checkOrigin(params["client"])
            self._authenticate(requestId, params)
        except Rejection as rejection:
            self._reject(requestId, rejection)

    def _checkOrigin(self, client: dict[str, Any]) -> None:
        origin = self._headers.get("origin")
        if origin is None and client["id"] not in handshake.CONTROL_UI_CLIENTS:
            return
        settings = self.hub.settings
        if origin and (origin in settings.controlUi.allowedOrigins or (settings.isLoopback and _origin_is_local(origin))):
            return
        raise handshake.origin_not_allowed()

    def _authenticate(self, requestId: str, params: dict[str, Any]) -> None:
        settings = self.hub.settings
        verified = handshake.device_proof(params, self._nonce, self._nowMs()) if "device" in params else None
        kind = settings.authMode  # token | password: either wire field may carry it
        presented = params.get("auth", {})
        secret = presented.get("token") or presented.get("password")
        client = params["client"]
        who = auth.Client.of(self._peerIp, self._headers.get("origin"))
        if settings.authMode == "none":
            shared = True
        elif not secret and not (verified is not None and presented.get("deviceToken")):
            if verified is not None:
                raise handshake.secret_failure(kind, "missing", client, self._local)
            raise handshake.device_identity_required()
        else:
            lockedMs = self.hub.limiter.lockedForMs(who, kind)
            if lockedMs:
                raise handshake.rate_limited(lockedMs)
            shared = auth.secret_matches(secret, settings.secret)
            if shared:
                self.hub.limiter.succeeded(who, kind)
        if verified is None:
            if shared:
                self._welcome(requestId, params, handshake.granted_scopes(params, self._local))
            else:
                self._refuseLater(requestId, who, kind, client, handshake.secret_failure(kind, "mismatch", client, self._local))
            return
        self.phase = "authenticating"
        trusted = settings.trustedProxies
        claim = deviceauth.claim_of(verified, params, self.role, deviceauth.remote_ip(self._peerIp, self._headers, trusted))
        d = deviceauth.admit(self.hub, claim, params, shared, self._local, kind)
        d.addCallbacks(
            self._deviceAdmitted, self._deviceRefused,
            callbackArgs=(requestId, params, verified.id), errbackArgs=(requestId, who, kind, client),
        )

    def _deviceAdmitted(self, grant: deviceauth.Grant, requestId: str, params: dict[str, Any], deviceId: str) -> None:
        if self.phase == "authenticating":  # not timed out or closed meanwhile
            self.deviceId = deviceId
            self._welcome(requestId, params, grant.scopes, grant)

    def _deviceRefused(self, failure: Failure, requestId: str, who: auth.Client, kind: str, client: dict[str, Any]) -> None:
        if self.phase != "authenticating":
            return
        if not failure.check(deviceauth.DeviceRefused):
            _log.failure("device auth failed on conn={conn}", failure, conn=self.connId)
            self.closeWith(CLOSE_INTERNAL_ERROR, "internal error")
            return
        refused: deviceauth.DeviceRefused = failure.value
        if refused.wrongCredential:
            self._refuseLater(requestId, who, kind, client, refused.rejection)
        else:
            self._reject(requestId, refused.rejection)

    def _refuseLater(
        self, requestId: str, who: auth.Client, kind: str, client: dict[str, Any], rejection: Rejection
    ) -> None:
        """A wrong credential: answered after the limiter's growing delay."""
        delay = self.hub.limiter.failed(who, kind)
        _log.warn(
            "unauthorized conn={conn} peer={peer} remote={remote} client={client} {mode} v{version} "
            "role={role} reason={reason}",
            conn=self.connId, peer=self._peer, remote=self._peerIp, client=client["id"], mode=client["mode"],
            version=client["version"], role=self.role, reason=rejection.error.details["authReason"],
        )
        self.phase = "authenticating"
        self._cancelTimer()  # the handshake timeout must not close before the refusal is sent
        self._timer = self.hub.clock.callLater(delay, self._rejectLater, requestId, rejection)

    def _rejectLater(self, requestId: str, rejection: Rejection) -> None:
        self._timer = None
        self._reject(requestId, rejection)

    def _reject(self, requestId: Any, rejection: Rejection) -> None:
        if self.phase == "closed":
            return
        if rejection.error is not None and isinstance(requestId, str):
            self._send(frames.error_response(requestId, rejection.error))
        self.closeWith(rejection.closeCode, rejection.closeReason)

    def _welcome(
        self, requestId: str, params: dict[str, Any], granted: list[str], grant: deviceauth.Grant | None = None
    ) -> None:
        hub = self.hub
        self._cancelTimer()
        self.client = params["client"]
        self.caps = tuple(params.get("caps") or ())
        self.sessionScoped = SESSION_SCOPED_EVENTS in self.caps
        self.scopes = tuple(granted)
        self.phase = "ready"
        self.calls = Calls(self.factory.reactor)
        self.maxMessagePayloadSize = self.maxFramePayloadSize = MAX_PAYLOAD
        self._forgetUpgrade()
        self._send(frames.response(requestId, self._hello(granted, grant)))
        _log.debug(
            "client connected conn={conn} client={client} mode={mode} role={role} scopes={scopes}",
            conn=self.connId, client=self.client["id"], mode=self.client["mode"],
            role=self.role, scopes=",".join(granted) or "-",
        )
        hub.authenticated(self)

    def _forgetUpgrade(self) -> None:
        """
        The upgrade request (its headers served the connect) and autobahn's copies of
        it and of the 101 are done with: an idle connection keeps only what it uses.
        """
        self._headers = _NO_HEADERS
        for name in _UPGRADE_LEFTOVERS:
            setattr(self, name, None)

    def _hello(self, granted: list[str], grant: deviceauth.Grant | None) -> dict[str, Any]:
        hub = self.hub
        authInfo: dict[str, Any] = {"role": self.role, "scopes": granted}
        if grant is not None and grant.deviceToken is not None:
            if self.role == "operator":
                authInfo["recoveryMigrationAllowed"] = True
            authInfo.update(deviceToken=grant.deviceToken, issuedAtMs=grant.issuedAtMs)
        snapshot: dict[str, Any] = {
            "presence": hub.presenceFor(granted),
            "health": hub.health.current if hub.health is not None else {},
            "stateVersion": dict(hub.stateVersion),
            "uptimeMs": hub.uptimeMs(),
            "sessionDefaults": hub.sessionDefaults(),
        }
        if scopes.ADMIN in granted:
            snapshot.update(
                authMode=hub.settings.authMode,
                configPath=hub.settings.paths.configPath,
                stateDir=hub.settings.paths.stateDir,
            )
        return {
            "type": "hello-ok",
            "protocol": handshake.PROTOCOL_VERSION,
            "server": hub.serverInfo(self.connId),
            "features": hub.features(),
            "snapshot": snapshot,
            "auth": authInfo,
            "policy": {
                "maxPayload": MAX_PAYLOAD,
                "maxBufferedBytes": MAX_BUFFERED_BYTES,
                "tickIntervalMs": hub.settings.tickIntervalMs,
            },
        }

    # requests ----------------------------------------------------------------

    def _request(self, payload: bytes) -> None:
        try:
            frame = frames.decode(payload)
        except frames.TooDeep as e:
            self._fail("invalid", GatewayError(INVALID_REQUEST, f"invalid request frame: {e}"))
            return
        except ValueError:
            return  # malformed JSON after hello is ignored, as OpenClaw does
        problem = None if frames.plain_request(frame) else _checkRequestFrame(frame)
        if problem is not None:
            requestId = frame.get("id") if isinstance(frame, dict) else None
            if not isinstance(requestId, str) or not requestId:
                requestId = "invalid"
            _log.info("⇄ invalid request frame conn={conn}: {problem}", conn=self.connId, problem=problem[:200])
            self._fail(requestId, GatewayError(INVALID_REQUEST, f"invalid request frame: {problem}"))
            return
        requestId, method = frame["id"], frame["method"]
        params = frame.get("params")
        if params is None:
            params = {}
        hub = self.factory.hub
        started = hub.clock.seconds()
        ctx = CallContext(self, requestId, method)
        try:
            if self.calls.full():
                raise too_many_in_flight(method)
            result = hub.methods.resolve(method, params, ctx).handler(params, ctx)
        except GatewayError as error:
            self._fail(requestId, error)
            self._trace(False, method, started)
            return
        except Exception:
            self._trace(self._failed(requestId, method, Failure()), method, started)
            return
        if isinstance(result, _PLAIN) or not isinstance(result, (Deferred, CoroutineType)):
            # answered at once: no Deferred, nothing in flight
            self._send(frames.response(requestId, result))
            self._trace(None, method, started)
            return
        if isinstance(result, CoroutineType):
            result = Deferred.fromCoroutine(result)
        if not result.called or result.paused:  # paused: its result waits on another Deferred
            self.calls.track(ctx, result)
        result.addCallbacks(
            lambda answer: self._send(frames.response(requestId, answer)),
            lambda failure: self._failed(requestId, method, failure),
        )
        result.addCallback(self._trace, method, started)

    def _trace(self, ok: bool | None, method: str, started: float) -> None:
        """The WS log: errors and slow calls always, every call with C{full} or C{--verbose}."""
        hub = self.factory.hub
        ms = int((hub.clock.seconds() - started) * 1000)
        if ok is not False and ms < SLOW_CALL_MS:
            settings = hub.settings
            if settings.wsLog == "full":
                self._logCall(ok, method, ms)
            elif settings.verbose:
                _log.debug("⇄ res ✓ {method} {ms}ms conn={conn}", method=method[:_LOGGED_NAME_MAX], ms=ms, conn=self.connId)
            return
        self._logCall(ok, method, ms)

    def _logCall(self, ok: bool | None, method: str, ms: int) -> None:
        method = method[:_LOGGED_NAME_MAX]  # a client chooses the name; the log stays small
        _log.info("⇄ res {mark} {method} {ms}ms conn={conn}", mark="✗" if ok is False else "✓", method=method, ms=ms, conn=self.connId)

    def _failed(self, requestId: str, method: str, failure: Failure) -> bool | None:
        if failure.check(CancelledError) and self.phase == "closed":
            return None  # cancelled because its connection closed: nobody to answer
        if failure.check(GatewayError):
            self._fail(requestId, failure.value)
            return False
        _log.failure("{method} failed", failure, method=method)
        self._fail(requestId, GatewayError(UNAVAILABLE, f"{method} failed"))
        return False

    def _fail(self, requestId: str, error: GatewayError) -> None:
        self._send(frames.error_response(requestId, error))

    # what handlers may do here (through their CallContext) --------------------

    def answer(self, requestId: str, payload: Any) -> None:
        self._send(frames.response(requestId, payload))

    def emit(self, event: str, payload: Any, dropIfSlow: bool) -> None:
        self.hub.methods.checkEvent(event)
        if scopes.may_receive(self.scopes, event):
            self.sendEvent(event, payload, None, dropIfSlow)

    def subscribe(self, name: str, stop) -> None:
        self.calls.subscribe(name, stop)

    def unsubscribe(self, name: str) -> bool:
        return self.calls.unsubscribe(name)

    def inThread(self, fn, *args: Any, **kwargs: Any) -> Deferred:
        return self.calls.inThread(fn, *args, **kwargs)

    # sending -----------------------------------------------------------------

    def sendEvent(self, event: str, payload: Any, stateVersion: dict[str, int] | None, dropIfSlow: bool = False) -> None:
        self.sendEncoded(frames.EncodedEvent(event, payload, stateVersion), dropIfSlow)

    def sendEncoded(self, event: frames.EncodedEvent, dropIfSlow: bool = False) -> None:
        """An event encoded once for all its receivers (a broadcast), with this connection's next C{seq}."""
        self.seq += 1  # a dropped event still uses its number, so the client sees the gap
        if self.phase != "closed" and self.state == self.STATE_OPEN:
            self._write(event.withSeq(self.seq), dropIfSlow)

    def _send(self, frame: dict[str, Any], dropIfSlow: bool = False) -> None:
        if self.phase != "closed" and self.state == self.STATE_OPEN:
            self._write(frames.encode(frame), dropIfSlow)

    def _write(self, data: bytes, dropIfSlow: bool) -> None:
        """
        One text message, framed here and written to the transport: autobahn's
        sendMessage does the same (a server's frames are not masked, and the factory
        declines compression) and also builds debug lines for every send. To a peer
        that keeps up, the frame goes to the socket at once (L{wire.write_now}).
        """
        size = len(data)
        if size > self.maxMessagePayloadSize:
            raise PayloadExceededError(f"message of {size} bytes exceeds the payload limit of {self.maxMessagePayloadSize}")
        # Only a paused transport (the peer not keeping up) can hold much: it pauses
        # us once it buffers 64 KiB.
        if self._paused and _buffered(self.transport) + size > MAX_BUFFERED_BYTES:
            if not dropIfSlow:
                self._slowConsumer(size)
            return
        if self.send_queue:  # autobahn holds frames of its own back (chopped or synchronous writes): queue behind them
            self.sendData(wire.text_frame(data))
        elif self._paused:  # the peer is behind: its socket is full, so the frame waits with the others
            self.transport.write(wire.text_frame(data))
        else:
            wire.write_now(self.transport, wire.text_frame(data))

    def _slowConsumer(self, adding: int = 0) -> None:
        """Close a client that does not read (1008); autobahn aborts if the close cannot be written either."""
        if self._slow:
            return
        queued = _buffered(self.transport) + adding
        _log.warn(
            "slow consumer conn={conn} peer={peer}: {queued} bytes queued; closing 1008",
            conn=self.connId, peer=self._peer, queued=queued,
        )
        self.hub.diagnostics.record(
            "payload.large", surface="gateway.ws", action="rejected", reason="slow_consumer",
            bytes=queued, limitBytes=MAX_BUFFERED_BYTES,
        )
        self._slow = True
        self.closeWith(handshake.CLOSE_POLICY, "slow consumer")

    def closeWith(self, code: int, reason: str = "") -> None:
        self._cancelTimer()
        if self.phase == "closed":
            return
        self.phase = "closing"
        # sendClose() only admits application codes; the protocol's own (1008, 1012, …)
        # go through the frame-level call.
        self.sendCloseFrame(code=code, reasonUtf8=_truncate(reason).encode() or None, isReply=False)

    def abort(self) -> None:
        self.dropConnection(abort=True)

    def whenClosed(self) -> Deferred:
        d: Deferred = Deferred()
        if self.phase == "closed":
            d.callback(None)
        else:
            self._closedWaiters.append(d)
        return d

    def _cancelTimer(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    def _nowMs(self) -> int:
        return int(self.hub.clock.seconds() * 1000)


def _buffered(transport: Any) -> int:
    """
    The bytes a TCP transport holds that the kernel has not taken yet (twisted's
    C{FileDescriptor} keeps them in C{dataBuffer} past C{offset}, and in
    C{_tempDataBuffer}); 0 for a transport that does not buffer that way.
    """
    pending = getattr(transport, "dataBuffer", b"")
    return len(pending) - getattr(transport, "offset", 0) + getattr(transport, "_tempDataLen", 0)


def _class_attribute(value: Any) -> Any:
    """
    A factory setting as a class attribute: callables (C{perMessageCompressionAccept})
    stay plain functions rather than becoming methods that would get C{self} as
    their first argument (which broke every client offering permessage-deflate).
    """
    return staticmethod(value) if callable(value) else value


class GatewayWebSocketFactory(WebSocketServerFactory):
    def __init__(self, hub, reactor) -> None:
        super().__init__(url=None, reactor=reactor)
        self.hub = hub
        self.setProtocolOptions(
            autoPingInterval=0,  # the hub pings every client from one timer
            maxMessagePayloadSize=MAX_PAYLOAD,
            maxFramePayloadSize=MAX_PAYLOAD,
            openHandshakeTimeout=hub.settings.handshakeTimeoutMs / 1000,
            closeHandshakeTimeout=2,
            failByDrop=False,  # protocol violations (e.g. 1009) get a close frame, as in OpenClaw
        )
        settings = {name: _class_attribute(getattr(self, name)) for name in WebSocketServerProtocol.CONFIG_ATTRS}
        self.protocol = type("GatewayConnection", (GatewayConnection,), settings)
