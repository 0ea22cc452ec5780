"""
The unauthenticated liveness, readiness and startup probes (http-api.md §3).

Everyone gets the short body; local-direct callers and holders of the shared
secret also get the details (uptime, version, what is failing, event-loop lag).
"""

from __future__ import annotations

from typing import Any

from klein import Klein
from twisted.web.iweb import IRequest

from openclaw import VERSION
from openclaw.gateway import auth
from openclaw.gateway.http.auth import BearerAuth
from openclaw.gateway.http.responses import json_response, method_not_allowed

_METHODS = (b"GET", b"HEAD")


class Probes:
    app = Klein()
    maxBodyBytes = 0

    def __init__(self, hub, bearer: BearerAuth) -> None:
        self._hub = hub
        self._bearer = bearer

    def _detailed(self, request: IRequest) -> bool:
        peerIp = getattr(request.getClientAddress(), "host", "")
        names = [name.decode("latin-1").lower() for name, _ in request.requestHeaders.getAllRawHeaders()]
        return auth.is_direct_local(peerIp, names) or self._bearer.shared(request).allowed

    def _probe(self, request: IRequest, render) -> bytes:
        if request.method not in _METHODS:
            return method_not_allowed(request, b"GET, HEAD")
        return render(request)

    @app.route("/health", methods=None)
    @app.route("/healthz", methods=None)
    def live(self, request: IRequest) -> bytes:
        return self._probe(request, lambda r: json_response(r, 200, {"ok": True, "status": "live"}))

    @app.route("/ready", methods=None)
    @app.route("/readyz", methods=None)
    def ready(self, request: IRequest) -> bytes:
        def render(r: IRequest) -> bytes:
            failing = ([] if self._hub.accepting else ["shutdown"]) + [
                f"channel:{name}" for name in self._hub.channels.unhealthy()
            ]
            body: dict[str, Any] = {"ready": not failing}
            if self._detailed(r):
                body.update(failing=failing, uptimeMs=self._hub.uptimeMs())
                if self._hub.health is not None:
                    body["eventLoop"] = self._hub.health.eventLoop.snapshot()
            return json_response(r, 200 if not failing else 503, body)

        return self._probe(request, render)

    @app.route("/startup", methods=None)
    @app.route("/startupz", methods=None)
    def startup(self, request: IRequest) -> bytes:
        def render(r: IRequest) -> bytes:
            started = self._hub.accepting
            body: dict[str, Any] = {"ok": started, "status": "started" if started else "draining"}
            if self._detailed(r):
                body.update(version=VERSION, uptimeMs=self._hub.uptimeMs())
            return json_response(r, 200 if started else 503, body)

        return self._probe(request, render)
