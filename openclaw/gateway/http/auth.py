"""
Bearer auth for every HTTP surface (http-api.md §2, auth.md §4).

The shared secret arrives as C{Authorization: Bearer <token-or-password>}; in auth
mode C{none} nothing is needed. A wrong Bearer counts against the hub's failed-auth
limiter exactly like a wrong WebSocket secret (same client key, same credential
class: L{openclaw.gateway.auth}), so guesses cannot be spread over both paths.
A missing Bearer is not a failure. A locked-out client is refused before its
Bearer is even compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from twisted.web.iweb import IRequest

from openclaw.gateway import auth
from openclaw.gateway.http.responses import error_body, json_response

UNAUTHORIZED = error_body("Unauthorized", "unauthorized")
RATE_LIMITED = error_body("Too many failed authentication attempts. Please try again later.", "rate_limited")


def bearer_token(request: IRequest) -> str | None:
    """The credential of an C{Authorization: Bearer} header, if any."""
    header = (request.getHeader(b"authorization") or b"").decode("latin-1")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass(frozen=True)
class Verdict:
    """Whether a request may pass; a refused one may be locked out for C{retryAfterMs}."""

    allowed: bool
    retryAfterMs: int = 0


ALLOWED = Verdict(True)
REFUSED = Verdict(False)


def refuse(request: IRequest, verdict: Verdict) -> bytes:
    """The 401, or the 429 with C{Retry-After} (whole seconds) for a locked-out client."""
    if verdict.retryAfterMs:
        request.setHeader(b"Retry-After", str(math.ceil(verdict.retryAfterMs / 1000)).encode())
        return json_response(request, 429, RATE_LIMITED)
    return json_response(request, 401, UNAUTHORIZED)


class BearerAuth:
    """The Bearer checks of one gateway, against its current settings and limiter."""

    def __init__(self, hub) -> None:
        self._hub = hub

    def _client(self, request: IRequest) -> auth.Client:
        origin = request.getHeader(b"origin")
        peer = getattr(request.getClientAddress(), "host", "")
        return auth.Client.of(peer, origin.decode("latin-1") if origin else None)

    def _presented(self, request: IRequest) -> tuple[auth.Client, str] | Verdict:
        """The caller and the Bearer to compare, or the verdict when there is nothing to compare."""
        kind = self._hub.settings.authMode
        if kind == "none":
            return ALLOWED
        token = bearer_token(request)
        if token is None:
            return REFUSED
        who = self._client(request)
        locked = self._hub.limiter.lockedForMs(who, kind)
        return Verdict(False, locked) if locked else (who, token)

    def _settle(self, who: auth.Client, ok: bool) -> Verdict:
        limiter, kind = self._hub.limiter, self._hub.settings.authMode
        (limiter.succeeded if ok else limiter.failed)(who, kind)
        return ALLOWED if ok else REFUSED

    def shared(self, request: IRequest) -> Verdict:
        """Whether the request carries the shared secret as its Bearer."""
        presented = self._presented(request)
        if isinstance(presented, Verdict):
            return presented
        who, token = presented
        return self._settle(who, auth.secret_matches(token, self._hub.settings.secret))

    async def sharedOrDevice(self, request: IRequest) -> Verdict:
        """L{shared}, or a paired device's current token as the Bearer (the Control UI's, once paired)."""
        presented = self._presented(request)
        if isinstance(presented, Verdict):
            return presented
        who, token = presented
        pairing = self._hub.pairing
        ok = auth.secret_matches(token, self._hub.settings.secret) or (
            pairing is not None and await pairing.isActiveToken(token)
        )
        return self._settle(who, ok)


__all__ = ["ALLOWED", "REFUSED", "BearerAuth", "Verdict", "bearer_token", "refuse"]
