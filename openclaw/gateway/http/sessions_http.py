"""
C{GET /sessions/<key>/history} and C{POST /sessions/<key>/kill} (http-api.md §1.4,
§7), behind the gateway's Bearer auth. The key is one URL-encoded path segment
(C{agent:main:main}, or a short key of the default agent); C{?agentId=} names the
agent of a short key.

History is a page of the session's transcript as C{chat.history} shows it, newest
last: C{?limit=} (at most 1000) messages before C{?cursor=} (a message C{seq},
also written C{seq:<n>}), with C{hasMore} and the C{nextCursor} of the page
before. Kill stops what runs (or waits) in the session: C{{"ok": true, "killed"}}.
An unknown session is a 404 either way.
"""

from __future__ import annotations

from typing import Any

from klein import Klein
from twisted.internet.defer import Deferred
from twisted.web.iweb import IRequest

from openclaw.agents.sessions.display import history_messages
from openclaw.gateway.http.auth import BearerAuth, refuse
from openclaw.gateway.http.responses import error_body, json_response, method_not_allowed
from openclaw.gateway.methods.targets import resolve_target
from openclaw.protocol.errors import GatewayError

MAX_LIMIT = 1000


class _BadQuery(Exception):
    pass


def _query(request: IRequest, name: str) -> str | None:
    values = (request.args or {}).get(name.encode())
    return values[0].decode("utf-8", "replace").strip() if values else None


def page_limit(raw: str | None) -> int | None:
    """C{?limit=}: a positive whole number, at most L{MAX_LIMIT}; None when absent."""
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) == 0:
        raise _BadQuery("limit must be a positive integer")
    return min(MAX_LIMIT, int(raw))


def cursor_seq(raw: str | None) -> int | None:
    """C{?cursor=}: the C{seq} the page ends before (C{<n>} or C{seq:<n>}); None when absent."""
    if not raw:
        return None
    digits = raw[4:] if raw.startswith("seq:") else raw
    if not digits.isdigit() or int(digits) == 0:
        raise _BadQuery("cursor must be a positive integer")
    return int(digits)


def _not_found(request: IRequest, key: str) -> bytes:
    return json_response(request, 404, {"ok": False, "error": {"type": "not_found", "message": f"Session not found: {key}"}})


def _invalid(request: IRequest, message: str) -> bytes:
    return json_response(request, 400, error_body(message, "invalid_request_error"))


class SessionsHttp:
    app = Klein()
    maxBodyBytes = 0

    def __init__(self, hub, bearer: BearerAuth) -> None:
        self._hub = hub
        self._bearer = bearer

    def _checked(self, request: IRequest, key: str, method: bytes) -> bytes | None:
        """The answer of a request refused before the session is looked up (400, 405, 401, 429)."""
        if not key.strip():
            return _invalid(request, "invalid session key")
        if request.method != method:
            return method_not_allowed(request, method)
        verdict = self._bearer.shared(request)
        return None if verdict.allowed else refuse(request, verdict)

    def _target(self, request: IRequest, key: str) -> tuple[str, str] | None:
        """The session's agent and full key; None when no configured agent owns it."""
        try:
            return resolve_target(self._hub.agents, _query(request, "agentId"), key.strip())
        except GatewayError:
            return None

    @app.route("/sessions/<key>/history", methods=None)
    def history(self, request: IRequest, key: str):
        refused = self._checked(request, key, b"GET")
        if refused is not None:
            return refused
        try:
            limit, before = page_limit(_query(request, "limit")), cursor_seq(_query(request, "cursor"))
        except _BadQuery as e:
            return _invalid(request, str(e))
        return Deferred.fromCoroutine(self._history(request, key.strip(), limit, before))

    async def _history(self, request: IRequest, key: str, limit: int | None, before: int | None) -> bytes:
        target = self._target(request, key)
        if target is None:
            return _not_found(request, key)
        agentId, full = target
        store = self._hub.agents.stores.store(agentId)
        if await store.get(full) is None:
            return _not_found(request, key)
        entries = await store.transcript(full, None if limit is None else limit + 1, before)
        hasMore = limit is not None and len(entries) > limit
        page = entries[-limit:] if hasMore else entries
        messages = history_messages(page)
        body: dict[str, Any] = {"sessionKey": full, "items": messages, "messages": messages, "hasMore": hasMore}
        if hasMore:
            body["nextCursor"] = str(page[0].seq)
        return json_response(request, 200, body)

    @app.route("/sessions/<key>/kill", methods=None)
    def kill(self, request: IRequest, key: str):
        refused = self._checked(request, key, b"POST")
        if refused is not None:
            return refused
        return Deferred.fromCoroutine(self._kill(request, key.strip()))

    async def _kill(self, request: IRequest, key: str) -> bytes:
        target = self._target(request, key)
        if target is None:
            return _not_found(request, key)
        agentId, full = target
        runtime = self._hub.agents
        if await runtime.stores.store(agentId).get(full) is None:
            return _not_found(request, key)
        return json_response(request, 200, {"ok": True, "killed": bool(runtime.runs.abort(full, None, "kill"))})


__all__ = ["MAX_LIMIT", "SessionsHttp", "cursor_seq", "page_limit"]
