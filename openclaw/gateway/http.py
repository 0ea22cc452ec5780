"""
The HTTP routes of the gateway port. Today: the unauthenticated health probes;
the OpenAI-compatible APIs, tools, hooks and the Control UI join this app later.
"""

from __future__ import annotations

from typing import Any

import orjson
from klein import Klein
from twisted.web.iweb import IRequest

from openclaw import VERSION
from openclaw.gateway import auth

_PROBE_METHODS = (b"GET", b"HEAD")


def _json(request: IRequest, status: int, body: dict[str, Any]) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"Content-Type", b"application/json; charset=utf-8")
    request.setHeader(b"Cache-Control", b"no-store")
    return orjson.dumps(body)


def _text(request: IRequest, status: int, body: bytes, **headers: bytes) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
    for name, value in headers.items():
        request.setHeader(name.encode(), value)
    return body


class GatewayHttp:
    app = Klein()

    def __init__(self, hub) -> None:
        self._hub = hub

    def _detailed(self, request: IRequest) -> bool:
        """
        Local-direct callers and holders of the shared secret get full bodies. A wrong
        Bearer counts against the failed-auth limiter like a wrong WebSocket secret.
        """
        peerIp = getattr(request.getClientAddress(), "host", "")
        names = [name.decode("latin-1").lower() for name, _ in request.requestHeaders.getAllRawHeaders()]
        if auth.is_direct_local(peerIp, names):
            return True
        header = (request.getHeader(b"authorization") or b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        hub, kind = self._hub, self._hub.settings.authMode
        origin = request.getHeader(b"origin")
        who = auth.Client.of(peerIp, origin.decode("latin-1") if origin else None)
        if hub.limiter.lockedForMs(who, kind):
            return False
        if auth.secret_matches(token.strip(), hub.settings.secret):
            hub.limiter.succeeded(who, kind)
            return True
        hub.limiter.failed(who, kind)
        return False

    def _probe(self, request: IRequest, render) -> bytes:
        if request.method not in _PROBE_METHODS:
            return _text(request, 405, b"Method Not Allowed", Allow=b"GET, HEAD")
        return render(request)

    @app.route("/health", methods=None)
    @app.route("/healthz", methods=None)
    def live(self, request: IRequest) -> bytes:
        return self._probe(request, lambda r: _json(r, 200, {"ok": True, "status": "live"}))

    @app.route("/ready", methods=None)
    @app.route("/readyz", methods=None)
    def ready(self, request: IRequest) -> bytes:
        def render(r: IRequest) -> bytes:
            failing = [] if self._hub.accepting else ["shutdown"]
            body: dict[str, Any] = {"ready": not failing}
            if self._detailed(r):
                body.update(failing=failing, uptimeMs=self._hub.uptimeMs())
                if self._hub.health is not None:
                    body["eventLoop"] = self._hub.health.eventLoop.snapshot()
            return _json(r, 200 if not failing else 503, body)

        return self._probe(request, render)

    @app.route("/startup", methods=None)
    @app.route("/startupz", methods=None)
    def startup(self, request: IRequest) -> bytes:
        def render(r: IRequest) -> bytes:
            started = self._hub.accepting
            body: dict[str, Any] = {"ok": started, "status": "started" if started else "draining"}
            if self._detailed(r):
                body.update(version=VERSION, uptimeMs=self._hub.uptimeMs())
            return _json(r, 200 if started else 503, body)

        return self._probe(request, render)

    @app.route("/", branch=True, methods=None)
    def not_found(self, request: IRequest) -> bytes:
        return _text(request, 404, b"Not Found")
