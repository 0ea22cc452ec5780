"""
The one port: a WebSocket upgrade on any path goes to autobahn, everything else to
the klein app. Security headers are set on every HTTP response.

L{GatewayPortFactory} looks at the head of a new connection's first request: an
upgrade goes straight to autobahn's protocol, which parses it once; anything else
to the twisted.web L{GatewaySite}. The site hands later upgrades on a kept-alive
HTTP connection to autobahn as well (L{GatewayRoot}), so both paths serve the same
protocol; the direct one saves parsing every handshake twice.
"""

from __future__ import annotations

import re

from autobahn.twisted.resource import WebSocketResource
from twisted.internet.protocol import Factory, Protocol
from twisted.protocols.policies import TimeoutMixin
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.iweb import IRequest

from openclaw.gateway.connection import GatewayWebSocketFactory
from openclaw.gateway.controlui import ControlUi
from openclaw.gateway.http import GatewayHttp

_COMMON_HEADERS = (
    (b"X-Content-Type-Options", b"nosniff"),
    (b"Referrer-Policy", b"no-referrer"),
    (b"Permissions-Policy", b"camera=(), microphone=(self), geolocation=()"),
)


class GatewayRoot(Resource):
    isLeaf = True

    def __init__(self, websocket: WebSocketResource, http: Resource) -> None:
        super().__init__()
        self._ws = websocket
        self._http = http

    def render(self, request: IRequest):
        upgrade = (request.getHeader(b"upgrade") or b"").lower()
        if upgrade == b"websocket":
            return self._ws.render(request)
        for name, value in _COMMON_HEADERS:
            request.setHeader(name, value)
        if upgrade:
            request.setResponseCode(400)
            request.setHeader(b"Connection", b"close")
            request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
            return b"Bad Request"
        return self._http.render(request)


class GatewaySite(Site):
    """A site that keeps no access log (probes would flood it)."""

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


def _control_ui(hub, reactor) -> ControlUi | None:
    ui = hub.settings.controlUi
    if not (ui.enabled and ui.root):
        return None
    return ControlUi(hub, reactor, ui.root, ui.basePath)


def make_port_factory(hub, reactor) -> GatewayPortFactory:
    factory = GatewayWebSocketFactory(hub, reactor)
    root = GatewayRoot(WebSocketResource(factory), GatewayHttp(hub, _control_ui(hub, reactor)).app.resource())
    site = GatewaySite(root, reactor=reactor)
    site.noisy = False
    return GatewayPortFactory(site, factory)
