"""
Telegram webhook mode: a listener of its own on C{webhookHost:webhookPort} (never
the gateway's port) serving C{POST <webhookPath>}. A request must carry
C{X-Telegram-Bot-Api-Secret-Token}; a valid update is committed to the inbound
queue, then answered C{200} with C{x-openclaw-delivery-accepted: durable}.
C{/healthz} on the listener answers C{200}.
"""

from __future__ import annotations

import hmac
from typing import Any

import orjson
from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.endpoints import TCP4ServerEndpoint
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

MAX_BODY = 1024 * 1024


class _Webhook(Resource):
    isLeaf = True

    def __init__(self, transport: Any) -> None:
        super().__init__()
        self._transport = transport

    def render_GET(self, request) -> bytes:
        if request.path == b"/healthz":
            request.setHeader(b"content-type", b"application/json")
            return b'{"ok":true}'
        request.setResponseCode(404)
        return b""

    def render_POST(self, request) -> Any:
        config = self._transport.config
        if request.path.decode("latin-1") != config.webhookPath:
            request.setResponseCode(404)
            return b""
        secret = request.getHeader(b"x-telegram-bot-api-secret-token") or b""
        if not hmac.compare_digest(secret, config.webhookSecret.encode("utf-8")):
            request.setResponseCode(401)
            return b""
        body = request.content.read(MAX_BODY + 1)
        try:
            update = orjson.loads(body) if len(body) <= MAX_BODY else None
        except orjson.JSONDecodeError:
            update = None
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            request.setResponseCode(400)
            return b""

        def accepted(_: Any) -> None:
            request.setHeader(b"x-openclaw-delivery-accepted", b"durable")
            request.finish()

        def failed(_: Any) -> None:
            request.setResponseCode(503)
            request.finish()

        maybeDeferred(self._transport.deliver, [update], None).addCallbacks(accepted, failed)
        return NOT_DONE_YET


class WebhookListener:
    def __init__(self, transport: Any, reactor: Any) -> None:
        self._transport = transport
        self._reactor = reactor
        self.port: Any = None

    def start(self) -> Deferred:
        config = self._transport.config
        endpoint = TCP4ServerEndpoint(self._reactor, config.webhookPort, interface=config.webhookHost)
        site = Site(_Webhook(self._transport))
        site.noisy = False
        return endpoint.listen(site).addCallback(lambda port: setattr(self, "port", port))

    def stop(self) -> Deferred:
        return maybeDeferred(self.port.stopListening) if self.port is not None else maybeDeferred(lambda: None)
