"""
Webhooks under C{hooks.path} (http-api.md §6), read from the running settings on
every request, so C{hooks.*} edits apply hot. The checks come in this order:

    hooks off                          404 JSON naming C{hooks.enabled}
    C{?token=} in the query            400 text (a token in a URL ends up in logs)
    not POST                           405 text, C{Allow: POST}
    wrong or missing token             401 text; after 20 misses in 60 s from one
                                       address 429 text with C{Retry-After} (loopback
                                       is not exempt; the right token clears the count)
    the bare base path                 404 text
    body over 256 KiB / not JSON       413 / 400 C{{"ok": false, "error": …}}
    the action's own checks            400 C{{"ok": false, "error": …}} (L{hookactions})

The token is the C{Authorization: Bearer} credential when there is one, else the
C{X-OpenClaw-Token} header, compared in constant time. It is the hooks token, not
the gateway's: hook senders get no other access.

C{/agent} (and an agent mapping) starts a run through the agent runtime and answers
C{{"ok": true, "runId"}} once it is admitted (with C{waitForCompletion}, after it
ended); a replay key (C{Idempotency-Key}, C{X-OpenClaw-Idempotency-Key}, body
C{idempotencyKey}) with the same token, path and request gives the same run back
while the runtime remembers it (until 5 minutes after it ended). C{/wake} (and a wake
mapping) queues the text for the agent's next heartbeat, which with C{mode: "now"}
(or a session of its own) is at once (L{openclaw.agents.heartbeat}).
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from typing import Any, Mapping

from klein import Klein
from twisted.internet.defer import CancelledError, Deferred
from twisted.web.iweb import IRequest

from openclaw.agents.runs import RunRequest
from openclaw.agents.runevents import SILENT_REPLY
from openclaw.agents.sessionkeys import scoped_key
from openclaw.gateway import auth
from openclaw.gateway.http.auth import bearer_token
from openclaw.gateway.http.body import KIB, BodyError, read_json
from openclaw.gateway.http.hookactions import (
    REQUEST, AgentAction, HookRefused, TemplateContext, WakeAction, agent_from_request,
    dispatch_key, idempotency_key, mapped_action, session_key, target_agent, wake_from_request,
)
from openclaw.gateway.http.responses import endpoint_disabled, json_response, method_not_allowed, not_found, text_response
from openclaw.settings import RateLimit

MAX_BODY_BYTES = 256 * KIB
#: Misses of the hooks token per address: 20 in 60 s lock the address out for 60 s.
FAILURE_POLICY = RateLimit(maxAttempts=20, windowMs=60_000, lockoutMs=60_000, exemptLoopback=False)
QUERY_TOKEN = (
    b"Hook token must be provided via Authorization: Bearer <token> or X-OpenClaw-Token header "
    b"(query parameters are not allowed)."
)
#: The limiter's credential class for hook tokens (kept apart from the gateway secret's).
_CREDENTIAL = "hook-token"


def hook_token(request: IRequest) -> str | None:
    """The presented token: a non-empty Bearer wins over C{X-OpenClaw-Token}."""
    token = bearer_token(request)
    if token:
        return token
    header = (request.getHeader(b"x-openclaw-token") or b"").decode("latin-1").strip()
    return header or None


def _headers(request: IRequest) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): ", ".join(v.decode("latin-1") for v in values)
        for name, values in request.requestHeaders.getAllRawHeaders()
    }


def completion(outcome: Any) -> dict[str, Any]:
    """How a waited-for run ended, as C{/agent} with C{waitForCompletion} reports it."""
    text = (outcome.text or "").strip()
    disposition = "empty" if not text else "silent" if text == SILENT_REPLY else "visible"
    return {"status": "ok" if outcome.status == "ok" else "error", "replyDisposition": disposition}


class Hooks:
    """The webhook surface: every path under the configured C{hooks.path}."""

    app = Klein()
    maxBodyBytes = MAX_BODY_BYTES

    def __init__(self, hub, reactor: Any) -> None:
        self._hub = hub
        self._reactor = reactor
        self._limiter = auth.FailureLimiter(hub.clock, FAILURE_POLICY)

    def handles(self, path: str) -> bool:
        base = self._hub.settings.hooks.path
        return path == base or path.startswith(base + "/")

    @app.route("/", branch=True, methods=None)
    def serve(self, request: IRequest):
        hooks = self._hub.settings.hooks
        if not hooks.enabled:
            return endpoint_disabled(request, "hooks.enabled")
        if b"token" in (request.args or {}):
            return text_response(request, 400, QUERY_TOKEN)
        if request.method != b"POST":
            return method_not_allowed(request, b"POST")
        refused = self._authenticate(request, hooks.token)
        if refused is not None:
            return refused
        subPath = request.path.decode("latin-1")[len(hooks.path):].strip("/")
        if not subPath:
            return not_found(request)
        return Deferred.fromCoroutine(self._handle(request, hooks, subPath))

    def _authenticate(self, request: IRequest, expected: str) -> bytes | None:
        """None when the hooks token is right; else the 401, or the 429 of a locked-out address."""
        who = auth.Client(getattr(request.getClientAddress(), "host", ""), exemptable=False)
        token = hook_token(request)
        if auth.secret_matches(token, expected):
            self._limiter.succeeded(who, _CREDENTIAL)
            return None
        locked = self._limiter.lockedForMs(who, _CREDENTIAL)
        if locked:
            retryAfter = str(max(1, math.ceil(locked / 1000))).encode()
            return text_response(request, 429, b"Too Many Requests", **{"Retry-After": retryAfter})
        self._limiter.failed(who, _CREDENTIAL)
        return text_response(request, 401, b"Unauthorized")

    async def _handle(self, request: IRequest, hooks: Any, subPath: str) -> bytes:
        try:
            body = await read_json(request, MAX_BODY_BYTES, reactor=self._reactor)
        except BodyError as e:
            return json_response(request, e.status, {"ok": False, "error": "payload too large" if e.status == 413 else e.message})
        payload: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
        try:
            if subPath == "wake":
                return self._wake(request, hooks, wake_from_request(payload))
            if subPath == "agent":
                action = agent_from_request(payload)
                headers = _headers(request)
                replay = idempotency_key(
                    headers.get("idempotency-key"), headers.get("x-openclaw-idempotency-key"), payload.get("idempotencyKey"),
                )
                return await self._agent(request, hooks, action, replay, payload.get("waitForCompletion") is True)
            action = mapped_action(hooks.mappings, TemplateContext(
                subPath, payload, _headers(request),
                {k.decode("latin-1"): v[0].decode("latin-1") for k, v in (request.args or {}).items()},
                self._hub.clock.seconds,
            ))
            if action is None:
                return not_found(request)
            if isinstance(action, WakeAction):
                return self._wake(request, hooks, action)
            return await self._agent(request, hooks, action, None, False)
        except HookRefused as e:
            return json_response(request, 400, {"ok": False, "error": e.message})

    # actions -----------------------------------------------------------------

    def _wake(self, request: IRequest, hooks: Any, action: WakeAction) -> bytes:
        runtime = self._hub.agents
        agentId = target_agent(hooks, runtime.settings.agents, action.agentId, action.keySource == REQUEST)
        key = None
        if action.sessionKey is not None:
            key = scoped_key(dispatch_key(hooks, session_key(hooks, action.sessionKey, action.keySource, _new_id), agentId), agentId)
        runtime.heartbeats.wake(agentId, key, action.text, action.mode == "now")
        return json_response(request, 200, {"ok": True, "mode": action.mode, "eventOutcome": "queued"})

    async def _agent(self, request: IRequest, hooks: Any, action: AgentAction, replay: str | None, wait: bool) -> bytes:
        runtime = self._hub.agents
        agentId = target_agent(hooks, runtime.settings.agents, action.agentId, action.keySource == REQUEST)
        key = session_key(hooks, action.sessionKey, action.keySource, _new_id)
        if action.sessionMode == "persistent":
            if action.keySource == REQUEST and not hooks.allowedSessionKeyPrefixes:
                raise HookRefused("hooks.allowedSessionKeyPrefixes is required when direct hook sessionMode is persistent")
            if action.keySource != REQUEST and action.sessionKey is None and hooks.defaultSessionKey is None:
                raise HookRefused("sessionKey or hooks.defaultSessionKey is required when mapped hook sessionMode is persistent")
        key = scoped_key(dispatch_key(hooks, key, agentId), agentId)
        runId = _replay_id(hooks.token, hooks.path, agentId, action, replay) if replay else str(uuid.uuid4())
        run, _ = runtime.start(RunRequest(
            runId=runId, agentId=agentId, sessionKey=key, message=action.message, queueMode=runtime.queueMode(None),
            timeoutSeconds=action.timeoutSeconds, model=action.model,
        ))
        answer: dict[str, Any] = {"ok": True, "runId": run.runId}
        if wait:
            done = run.whenDone()
            request.notifyFinish().addErrback(lambda _: done.cancel())  # only this watcher stops
            try:
                answer["completion"] = completion(await done)
            except CancelledError:
                return b""
        return json_response(request, 200, answer)


def _new_id() -> str:
    return str(uuid.uuid4())


def _replay_id(token: str, path: str, agentId: str, action: AgentAction, replay: str) -> str:
    """The run id a replay key stands for: the same token, path, target and request give the same run."""
    scope = json.dumps([path, agentId, action.__dict__, replay], sort_keys=True, default=str)
    digest = hashlib.sha256(f"{hashlib.sha256(token.encode()).hexdigest()}:{scope}".encode()).hexdigest()
    return f"hook-{digest[:32]}"


__all__ = ["FAILURE_POLICY", "MAX_BODY_BYTES", "Hooks", "completion", "hook_token"]
