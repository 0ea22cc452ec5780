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


def bearer_token(request: IRequest) -> str | None:
    """The credential of an C{Authorization: Bearer} header, if any."""
    header = (request.getHeader(b"authorization") or b"").decode("latin-1")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _presented(hub, request: IRequest) -> tuple[auth.Client, str] | bool:
    """The caller and the Bearer to check, or the verdict when there is nothing to check."""
    kind = hub.settings.authMode
    token = bearer_token(request)
    if kind == "none" or token is None:
        return kind == "none"
    origin = request.getHeader(b"origin")
    who = auth.Client.of(getattr(request.getClientAddress(), "host", ""), origin.decode("latin-1") if origin else None)
    return False if hub.limiter.lockedForMs(who, kind) else (who, token)


def _settle(hub, who: auth.Client, ok: bool) -> bool:
    """A wrong Bearer counts against the failed-auth limiter like a wrong WebSocket secret."""
    kind = hub.settings.authMode
    (hub.limiter.succeeded if ok else hub.limiter.failed)(who, kind)
    return ok


def bearer_authorized(hub, request: IRequest) -> bool:
    """Whether the request carries the shared secret as C{Authorization: Bearer} (always, in auth mode none)."""
    presented = _presented(hub, request)
    if isinstance(presented, bool):
        return presented
    who, token = presented
    return _settle(hub, who, auth.secret_matches(token, hub.settings.secret))


async def bearer_or_device_authorized(hub, request: IRequest) -> bool:
    """
    L{bearer_authorized}, or a paired device's current token as the Bearer (what the
    Control UI sends once it has paired).
    """
    presented = _presented(hub, request)
    if isinstance(presented, bool):
        return presented
    who, token = presented
    ok = auth.secret_matches(token, hub.settings.secret) or (
        hub.pairing is not None and await hub.pairing.isActiveToken(token)
    )
    return _settle(hub, who, ok)


class GatewayHttp:
    app = Klein()

    def __init__(self, hub, controlUi=None) -> None:
        self._hub = hub
        #: The L{ControlUi} when one is configured: it answers GET/HEAD under its base path.
        self._controlUi = controlUi

    def _detailed(self, request: IRequest) -> bool:
        """Local-direct callers and holders of the shared secret get full bodies."""
        peerIp = getattr(request.getClientAddress(), "host", "")
        names = [name.decode("latin-1").lower() for name, _ in request.requestHeaders.getAllRawHeaders()]
        return auth.is_direct_local(peerIp, names) or bearer_authorized(self._hub, request)

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
    def fallback(self, request: IRequest):
        """The Control UI (static files, SPA fallback) when configured; else 404."""
        ui = self._controlUi
        if ui is not None and request.method in _PROBE_METHODS and ui.handles(request.path.decode("latin-1")):
            return ui.render(request)
        return _text(request, 404, b"Not Found")
