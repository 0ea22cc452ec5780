"""
The chat methods of WebChat and the Control UI: C{chat.send} (start a run,
answered at once; the reply arrives as C{chat} events), C{chat.abort},
C{chat.inject} (an assistant message without a run), and the transcript reads
C{chat.history} and C{chat.startup}.

C{chat.send} understands C{/stop} (stop what runs in the session), C{/new} and
C{/reset} (reset the session; the rest of the message, or a greeting, is the new
session's first run), and C{deliver: true} (the reply also goes to the session's
last channel route, when it has one). Image C{attachments}
(C{{type:"image", mimeType, content:<base64>}}) go with the message to the model.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from openclaw.agents.resets import reset_command, run_message
from openclaw.agents.runs import Run, RunRequest
from openclaw.agents.turn import RunOutcome
from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.gateway.methods.delivery import DeliveryError, deliver, resolve
from openclaw.gateway.methods.targets import params_schema, resolve_target
from openclaw.agents.outbound import post_to_session
from openclaw.agents.providers.base import Image
from openclaw.agents.runevents import TOOL_EVENTS
from openclaw.agents.sessions.defaults import session_defaults
from openclaw.agents.sessions.display import MAX_CHARS, display_message, history_messages
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError

_STRING = {"type": "string"}
_NONEMPTY = {"type": "string", "minLength": 1}

#: The stop command: aborts what runs in the session instead of starting a run.
STOP_COMMAND = "/stop"
#: The largest image attachment (decoded), as OpenClaw advertises it (C{policy.attachments.maxImageBytes}).
MAX_IMAGE_BYTES = 6 * 1024 * 1024

_log = Logger(namespace="gateway/chat")

SEND_PARAMS = params_schema(
    required=("sessionKey", "message", "idempotencyKey"),
    typed={
        "sessionKey": {"type": "string", "minLength": 1, "maxLength": 512}, "message": _STRING,
        "idempotencyKey": _NONEMPTY, "agentId": _NONEMPTY, "sessionId": _NONEMPTY, "thinking": _STRING,
        "deliver": {"type": "boolean"}, "attachments": {"type": "array"},
        "queueMode": {"enum": ["steer", "followup", "collect", "interrupt"]},
        "timeoutMs": {"type": "integer", "minimum": 0}, "originatingChannel": _STRING,
    },
    ignored=(
        "intent", "fastMode", "fastAutoOnSeconds", "originatingTo", "originatingAccountId", "originatingThreadId",
        "replyToId", "toolBindings", "systemInputProvenance", "systemProvenanceReceipt", "expectedLeafEntryId",
        "expectedPermissionMode", "expectedSessionRoutingContract", "expectedToolOverrides",
        "suppressCommandInterpretation",
    ),
)
ABORT_PARAMS = params_schema(
    required=("sessionKey",),
    typed={"sessionKey": _NONEMPTY, "agentId": _NONEMPTY, "runId": _NONEMPTY, "preserveSideRuns": {"type": "boolean"}},
    ignored=(),
)
_HISTORY_TYPED = {
    "sessionKey": _NONEMPTY, "agentId": _NONEMPTY, "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
    "maxChars": {"type": "integer", "minimum": 1, "maximum": 500000},
}
HISTORY_PARAMS = params_schema(
    required=("sessionKey",),
    typed={**_HISTORY_TYPED, "cursor": _STRING, "offset": {"type": "integer", "minimum": 0},
           "maxBytes": {"type": "integer", "minimum": 1}},
    ignored=("pendingBefore", "inputRunIds", "messageId", "sessionId"),
)
STARTUP_PARAMS = params_schema(
    required=("sessionKey",), typed={**_HISTORY_TYPED, "maxBytes": {"type": "integer", "minimum": 1}}, ignored=(),
)
#: Messages C{chat.history} returns when the request names no C{limit}.
DEFAULT_HISTORY_LIMIT = 200
INJECT_PARAMS = params_schema(
    required=("sessionKey", "message"),
    typed={"sessionKey": _NONEMPTY, "agentId": _NONEMPTY, "message": _NONEMPTY, "label": {"type": "string", "maxLength": 100}},
    ignored=(),
)


def image_attachments(attachments: list[Any]) -> tuple[Image, ...]:
    """
    C{chat.send}'s attachments as images: each C{{type:"image", mimeType:"image/…",
    content:<base64 or a base64 data URL>}} of at most L{MAX_IMAGE_BYTES}.

    @raise GatewayError: an attachment that is not such an image.
    """
    images = []
    for i, attachment in enumerate(attachments):
        where = f"invalid chat.send params: attachments.{i}"
        if not isinstance(attachment, dict) or attachment.get("type", "image") != "image":
            raise GatewayError(INVALID_REQUEST, f"{where}: only image attachments are supported")
        mime, content = attachment.get("mimeType"), attachment.get("content")
        if not isinstance(content, str) or not content:
            raise GatewayError(INVALID_REQUEST, f"{where}: content must be base64 image data")
        if content.startswith("data:"):
            meta, _, content = content[5:].partition(",")
            mime = mime or meta.split(";")[0]
        if not isinstance(mime, str) or not mime.lower().startswith("image/"):
            raise GatewayError(INVALID_REQUEST, f"{where}: mimeType must be an image type")
        try:
            size = len(base64.b64decode(content, validate=True))
        except (binascii.Error, ValueError):
            raise GatewayError(INVALID_REQUEST, f"{where}: content is not base64") from None
        if size > MAX_IMAGE_BYTES:
            raise GatewayError(INVALID_REQUEST, f"{where}: larger than {MAX_IMAGE_BYTES} bytes")
        images.append(Image(mime.lower(), content))
    return tuple(images)


def register(registry: MethodRegistry, tree, shell) -> None:
    runtime = tree.agents

    def send(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = resolve_target(runtime, params.get("agentId"), params["sessionKey"])
        message = params["message"]
        if message.strip().lower() == STOP_COMMAND:
            runIds = runtime.runs.abort(key, None, "stop")
            return {"ok": True, "aborted": bool(runIds), "runIds": runIds}
        images = image_attachments(params.get("attachments") or [])
        if not message.strip() and not images:
            raise GatewayError(INVALID_REQUEST, "invalid chat.send params: message must not be empty")
        command = reset_command(message)
        if command is not None and runtime.runs.get(params["idempotencyKey"]) is None:
            return runtime.resetSession(agentId, key, command[0]).addCallback(
                lambda _: start(params, ctx, agentId, key, run_message(command[1]), images))
        return start(params, ctx, agentId, key, message, images)

    def start(params: dict, ctx: CallContext, agentId: str, key: str, message: str,
              images: tuple[Image, ...]) -> dict[str, Any]:
        timeoutMs = params.get("timeoutMs")
        run, created = runtime.start(RunRequest(
            runId=params["idempotencyKey"], agentId=agentId, sessionKey=key, message=message, kind="chat", images=images,
            queueMode=runtime.queueMode(params.get("queueMode"), params.get("originatingChannel")),
            timeoutSeconds=None if timeoutMs is None else timeoutMs / 1000,
        ))
        if created and TOOL_EVENTS in ctx.caps:
            run.events.addToolRecipient(ctx.emit, ctx.connId)
        if created and params.get("deliver"):
            run.whenDone().addCallback(lambda outcome: Deferred.fromCoroutine(deliverToRoute(outcome, run))).addErrback(
                lambda f: _log.failure("delivering the reply of run {runId} failed", f, runId=run.runId))
        if created:
            return {"runId": run.runId, "status": "started"}
        if run.outcome is None:
            return {"runId": run.runId, "status": "in_flight"}
        return {"runId": run.runId, "status": run.outcome.status}

    async def deliverToRoute(outcome: RunOutcome, run: Run) -> None:
        """A completed run's reply also goes to the session's last channel route, if it has one."""
        if outcome.status != "ok":
            return
        request = run.request
        entry = await runtime.stores.store(request.agentId).get(request.sessionKey)
        try:
            delivery = resolve(tree.channels, {}, entry.lastRoute if entry else None)
        except DeliveryError as e:
            _log.info("the reply of run {runId} stays in the session: {problem}", runId=run.runId, problem=str(e))
            return
        await deliver(tree.channels, delivery, run.runId, outcome)

    def abort(params: dict, ctx: CallContext) -> dict[str, Any]:
        _, key = resolve_target(runtime, params.get("agentId"), params["sessionKey"])
        runId = params.get("runId")
        if runId is not None:
            run = runtime.runs.get(runId)
            if run is None or run.outcome is not None:
                return {"ok": True, "aborted": False, "runIds": []}
            if run.request.sessionKey != key:
                raise GatewayError(INVALID_REQUEST, "runId does not match sessionKey")
        runIds = runtime.runs.abort(key, runId, "rpc")
        return {"ok": True, "aborted": bool(runIds), "runIds": runIds}

    async def inject(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = resolve_target(runtime, params.get("agentId"), params["sessionKey"])
        store = runtime.stores.store(agentId)
        if await store.get(key) is None:
            raise GatewayError(INVALID_REQUEST, "session not found")
        entry = await post_to_session(runtime, agentId, key, params["message"], params.get("label"))
        return {"ok": True, "messageId": entry.id}

    def pending(key: str) -> dict[str, Any]:
        """The session's queued runs, as the UI shows inputs waiting their turn."""
        items = []
        for runId in runtime.runs.activeRunIds(key):
            run = runtime.runs.get(runId)
            if run is not None and run.state == "queued":
                items.append({"id": runId, "runId": runId, "acceptedAt": run.acceptedAt, "state": "queued",
                              "message": {"role": "user", "content": run.request.message}})
        return {"items": items[:20], "total": len(items)}

    async def history(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = resolve_target(runtime, params.get("agentId"), params["sessionKey"])
        if params.get("cursor") is not None:
            return await delta(agentId, key, params)
        return await transcript(agentId, key, params)

    async def transcript(agentId: str, key: str, params: dict) -> dict[str, Any]:
        store = runtime.stores.store(agentId)
        limit, offset = params.get("limit", DEFAULT_HISTORY_LIMIT), params.get("offset", 0)
        entry = await store.get(key)
        result: dict[str, Any] = {"sessionKey": key}
        newest = await store.transcript(key, limit + offset + 1) if entry is not None else []
        hasMore = len(newest) > limit + offset
        entries = newest[::-1][offset:offset + limit][::-1]
        messages = history_messages(entries, params.get("maxChars", MAX_CHARS))
        maxBytes = params.get("maxBytes")
        if maxBytes is not None:
            sizes = [len(json.dumps(m)) for m in messages]
            while messages and sum(sizes) > maxBytes:  # the oldest go first: the screen shows the newest
                messages.pop(0)
                sizes.pop(0)
                hasMore = True
        if entry is not None:
            result["sessionId"] = entry.sessionId
        result.update(messages=messages, hasMore=hasMore, defaults=session_defaults(runtime.settings, agentId),
                      pendingInputs=pending(key))
        if hasMore:
            result["nextOffset"] = offset + limit
        if entry is not None:
            result["sessionInfo"] = runtime.bus.row(entry, runtime.runs.activeRunIds(key))
            result["deltaCursor"] = _cursor(agentId, entry.sessionId, newest[-1].seq if newest else 0)
        return result

    async def delta(agentId: str, key: str, params: dict) -> dict[str, Any]:
        """What was appended since the cursor; C{reset} when the session is not the cursor's any more."""
        position = _position(params["cursor"])
        store = runtime.stores.store(agentId)
        entry = await store.get(key)
        if entry is None or position.get("sessionId") != entry.sessionId or position.get("agentId") != agentId:
            return {"kind": "reset"}
        entries = await store.transcript(key, params.get("limit", DEFAULT_HISTORY_LIMIT), after=position["lastSeq"])
        maxChars = params.get("maxChars", MAX_CHARS)
        messages = []
        for added in entries:
            shown = display_message(added, maxChars)
            if shown is not None:
                messages.append({"sessionKey": key, "agentId": agentId, "message": shown, "messageId": added.id,
                                 "messageSeq": added.seq})
        lastSeq = entries[-1].seq if entries else position["lastSeq"]
        return {
            "kind": "delta", "messages": messages, "deltaCursor": _cursor(agentId, entry.sessionId, lastSeq),
            "sessionInfo": runtime.bus.row(entry, runtime.runs.activeRunIds(key)), "pendingInputs": pending(key),
        }

    async def startup(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = resolve_target(runtime, params.get("agentId"), params["sessionKey"])
        return await transcript(agentId, key, params)

    registry.add("chat.send", scopes.WRITE, send, SEND_PARAMS)
    registry.add("chat.abort", scopes.WRITE, abort, ABORT_PARAMS)
    registry.add("chat.inject", scopes.ADMIN, inject, INJECT_PARAMS)
    registry.add("chat.history", scopes.READ, history, HISTORY_PARAMS)
    registry.add("chat.startup", scopes.READ, startup, STARTUP_PARAMS)
    registry.addEvent("chat")


def _cursor(agentId: str, sessionId: str, lastSeq: int) -> str:
    """An opaque position in a session's transcript, for C{chat.history} delta polls."""
    raw = json.dumps({"agentId": agentId, "sessionId": sessionId, "lastSeq": lastSeq, "version": 1}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _position(cursor: str) -> dict[str, Any]:
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        position = None
    if not isinstance(position, dict) or not isinstance(position.get("lastSeq"), int):
        raise GatewayError(INVALID_REQUEST, "invalid chat.history params: cursor is not a history cursor")
    return position
