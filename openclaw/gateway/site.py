"""
The one site on the gateway port: a WebSocket upgrade on any path goes to autobahn,
everything else to the klein app. Security headers are set on every response.
"""

from __future__ import annotations

from autobahn.twisted.resource import WebSocketResource
from twisted.web.resource import Resource
from twisted.web.server import Site
from twisted.web.iweb import IRequest

from openclaw.gateway.connection import GatewayWebSocketFactory
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


def make_site(hub, reactor) -> tuple[GatewaySite, GatewayWebSocketFactory]:
    factory = GatewayWebSocketFactory(hub, reactor)
    root = GatewayRoot(WebSocketResource(factory), GatewayHttp(hub).app.resource())
    site = GatewaySite(root, reactor=reactor)
    site.noisy = False
    return site, factory
