"""
The chat methods of WebChat and the Control UI: C{chat.send} (start a run,
answered at once; the reply arrives as C{chat} events), C{chat.abort},
C{chat.inject} (an assistant message without a run), and the transcript reads
C{chat.history} and C{chat.startup}.
"""

from __future__ import annotations

from typing import Any

from openclaw.agents.runs import RunRequest
from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.gateway.methods.targets import params_schema, resolve_target
from openclaw.agents.runevents import assistant_message
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError

_STRING = {"type": "string"}
_NONEMPTY = {"type": "string", "minLength": 1}

#: The stop command: aborts what runs in the session instead of starting a run.
STOP_COMMAND = "/stop"

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
INJECT_PARAMS = params_schema(
    required=("sessionKey", "message"),
    typed={"sessionKey": _NONEMPTY, "agentId": _NONEMPTY, "message": _NONEMPTY, "label": {"type": "string", "maxLength": 100}},
    ignored=(),
)


def register(registry: MethodRegistry, tree, shell) -> None:
    runtime = tree.agents

    def send(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, key = resolve_target(runtime, params.get("agentId"), params["sessionKey"])
        message = params["message"]
        if message.strip().lower() == STOP_COMMAND:
            runIds = runtime.runs.abort(key, None, "stop")
            return {"ok": True, "aborted": bool(runIds), "runIds": runIds}
        if not message.strip():
            raise GatewayError(INVALID_REQUEST, "invalid chat.send params: message must not be empty")
        timeoutMs = params.get("timeoutMs")
        run, created = runtime.start(RunRequest(
            runId=params["idempotencyKey"], agentId=agentId, sessionKey=key, message=message, kind="chat",
            queueMode=runtime.queueMode(params.get("queueMode"), params.get("originatingChannel")),
            timeoutSeconds=None if timeoutMs is None else timeoutMs / 1000,
        ))
        if created:
            return {"runId": run.runId, "status": "started"}
        if run.outcome is None:
            return {"runId": run.runId, "status": "in_flight"}
        return {"runId": run.runId, "status": run.outcome.status}

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
        message = assistant_message(params["message"], runtime.nowMs())
        if params.get("label"):
            message["label"] = params["label"]
        entry = await store.append(key, message)
        runtime.bus.messageAppended(agentId, key, entry)
        runtime.publish("chat", {
            "runId": f"inject-{entry.id}", "sessionKey": key, "agentId": agentId, "seq": 0, "state": "final",
            "message": message,
        })
        return {"ok": True, "messageId": entry.id}

    registry.add("chat.send", scopes.WRITE, send, SEND_PARAMS)
    registry.add("chat.abort", scopes.WRITE, abort, ABORT_PARAMS)
    registry.add("chat.inject", scopes.ADMIN, inject, INJECT_PARAMS)
    registry.addEvent("chat")
