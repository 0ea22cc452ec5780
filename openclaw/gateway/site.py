"""
The one port: a WebSocket upgrade on any path goes to autobahn, everything else to
the HTTP surfaces (L{openclaw.gateway.http}). Security headers are set on every
HTTP response; a request body larger than every surface accepts is refused with
413 while it arrives, before it is buffered; an unhandled error in any surface is
a plain 500.

L{GatewayPortFactory} looks at the head of a new connection's first request: an
upgrade goes straight to autobahn's protocol, which parses it once; anything else
to the twisted.web L{GatewaySite}. The site hands later upgrades on a kept-alive
HTTP connection to autobahn as well (L{GatewayRoot}), so both paths serve the same
protocol; the direct one saves parsing every handshake twice. Behind TLS (an
C{ssl:} endpoint wraps the factory in C{TLSMemoryBIOFactory}) the sniffer sees the
decrypted bytes and hands the connection over inside the TLS wrapper.
"""

from __future__ import annotations

import re

import orjson
from autobahn.twisted.resource import WebSocketResource
from twisted.internet.protocol import Factory, Protocol
from twisted.logger import Logger
from twisted.protocols.policies import ProtocolWrapper, TimeoutMixin
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from openclaw.gateway.connection import GatewayWebSocketFactory
from openclaw.gateway.http import http_resource
from openclaw.gateway.http.body import KIB, PAYLOAD_TOO_LARGE
from openclaw.gateway.http.responses import JSON, TEXT, error_body

_log = Logger(namespace="gateway/http")

_COMMON_HEADERS = (
    (b"X-Content-Type-Options", b"nosniff"),
    (b"Referrer-Policy", b"no-referrer"),
    (b"Permissions-Policy", b"camera=(), microphone=(self), geolocation=()"),
)


class GatewayRoot(Resource):
    isLeaf = True

    def __init__(self, websocket: WebSocketResource, http: Resource, hub) -> None:
        super().__init__()
        self._ws = websocket
        self._http = http
        self._hub = hub

    def render(self, request: IRequest):
        upgrade = (request.getHeader(b"upgrade") or b"").lower()
        if upgrade == b"websocket":
            return self._ws.render(request)
        for name, value in _COMMON_HEADERS:
            request.setHeader(name, value)
        hsts = self._hub.settings.http.strictTransportSecurity
        if hsts:  # read per request: gateway.http applies without a restart
            request.setHeader(b"Strict-Transport-Security", hsts.encode("latin-1"))
        if upgrade:
            request.setResponseCode(400)
            request.setHeader(b"Connection", b"close")
            request.setHeader(b"Content-Type", TEXT)
            return b"Bad Request"
        return self._http.render(request)


#: Bodies up to this size are buffered even where no route reads one, so a POST to
#: a GET-only path still gets its 405 or 404 rather than a 413.
_MIN_BODY_CAP = 64 * KIB


class GatewayRequest(Request):
    """
    A request whose body may not outgrow its site's C{maxBodyBytes}: announced
    (C{Content-Length}) or received (chunked) beyond it, the client gets a 413 at
    once and the connection is closed; nothing more of the body is kept.

    A surface that fails answers C{500 Internal Server Error} (no page, no
    traceback), or, when its headers are already out, loses the connection.
    """

    _refused = False

    def gotLength(self, length: int | None) -> None:
        if length is not None and length > self.channel.site.maxBodyBytes:
            self.requestHeaders.removeHeader(b"expect")  # no "100 Continue" after the 413
            self._refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused:
            return
        if self.content.tell() + len(data) > self.channel.site.maxBodyBytes:
            self._refuse()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if not self._refused:
            super().requestReceived(command, path, version)

    def processingFailed(self, reason) -> None:
        # the path only: a query string may carry a credential
        method, path = self.method.decode("latin-1"), self.path.decode("latin-1")
        _log.failure("{method} {path} failed", reason, method=method, path=path)
        if self._disconnected:
            return
        if self.startedWriting:
            self.channel.transport.abortConnection()
            return
        body = b"Internal Server Error"
        self.setResponseCode(500)
        self.setHeader(b"Content-Type", TEXT)
        self.setHeader(b"Content-Length", b"%d" % len(body))
        self.setHeader(b"Cache-Control", b"no-store")
        self.write(body)
        self.finish()

    def _refuse(self) -> None:
        self._refused = True
        body = orjson.dumps(error_body(PAYLOAD_TOO_LARGE, "invalid_request_error"))
        head = [
            b"HTTP/1.1 413 Payload Too Large",
            b"Content-Type: " + JSON,
            b"Content-Length: %d" % len(body),
            b"Cache-Control: no-store",
            b"Connection: close",
            *(name + b": " + value for name, value in _COMMON_HEADERS),
        ]
        self.channel.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        self.channel.loseConnection()


class GatewaySite(Site):
    """A site that keeps no access log (probes would flood it) and bounds request bodies."""

    requestFactory = GatewayRequest

    def __init__(self, resource: Resource, maxBodyBytes: int, **kwargs) -> None:
        super().__init__(resource, **kwargs)
        self.maxBodyBytes = max(maxBodyBytes, _MIN_BODY_CAP)

    def log(self, request) -> None:
        pass


_HEAD_END = b"\r\n\r\n"
_WEBSOCKET_UPGRADE = re.compile(rb"\r\nupgrade:[ \t]*websocket[ \t]*\r\n", re.IGNORECASE)
#: Beyond this a request head is not a WebSocket handshake we serve; twisted.web
#: applies its own limits to it.
_MAX_HEAD = 16_384
_FIRST_BYTES_TIMEOUT = 15


class _FirstRequest(Protocol, TimeoutMixin):
    """Reads up to the end of the first request head, then hands the connection over."""

    def __init__(self, factory: "GatewayPortFactory", addr) -> None:
        self._factory = factory
        self._addr = addr
        self._buffer = b""

    def connectionMade(self) -> None:
        self.setTimeout(_FIRST_BYTES_TIMEOUT)

    def dataReceived(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(_HEAD_END)
        if end < 0 and len(self._buffer) < _MAX_HEAD:
            return
        self.setTimeout(None)
        head = self._buffer[: end + 2] if end >= 0 else b""
        target = self._factory.websocket if _WEBSOCKET_UPGRADE.search(head) else self._factory.site
        protocol = target.buildProtocol(self._addr)
        transport, buffered = self.transport, self._buffer
        if isinstance(transport, ProtocolWrapper):  # TLS: the wrapper feeds its wrapped protocol
            transport.wrappedProtocol = protocol
        else:
            transport.protocol = protocol
        protocol.makeConnection(transport)
        protocol.dataReceived(buffered)

    def timeoutConnection(self) -> None:
        self.transport.abortConnection()


class GatewayPortFactory(Factory):
    """What listens on the gateway port."""

    noisy = False

    def __init__(self, site: Site, websocket: GatewayWebSocketFactory) -> None:
        self.site = site
        self.websocket = websocket

    def buildProtocol(self, addr) -> Protocol:
        return _FirstRequest(self, addr)

    def logPrefix(self) -> str:
        return "gateway"


def make_port_factory(hub, reactor) -> GatewayPortFactory:
    factory = GatewayWebSocketFactory(hub, reactor)
    http = http_resource(hub, reactor)
    site = GatewaySite(GatewayRoot(WebSocketResource(factory), http, hub), http.maxBodyBytes, reactor=reactor)
    site.noisy = False
    return GatewayPortFactory(site, factory)
