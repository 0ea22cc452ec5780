"""
C{agent} (start a run, answered twice on one request id) and C{agent.wait}.

The first C{res} says the run was accepted (or why the request is invalid);
the second, after the run's lifecycle end, carries its outcome. A run that
failed answers the second time with C{ok: false}, an C{UNAVAILABLE} error and
the run's C{{runId, status: "error", summary}} payload. A caller that goes away
between the two frames stops waiting, not the run: it still ends in the
transcript.

A message starting with C{/new} or C{/reset} (admin only) resets the session
first, and the rest of the message is the new session's first run (a bare
command: a greeting). C{deliver: true} also sends the final reply to a chat
channel (L{openclaw.gateway.methods.delivery}); an unreachable target refuses
the request unless C{bestEffortDeliver} is set.
"""

from __future__ import annotations

from typing import Any

from twisted.logger import Logger

from openclaw.agents.runs import DEFAULT_WAIT_MS, Run, RunRequest
from openclaw.agents.runtarget import TargetError, run_model
from openclaw.agents.turn import RunOutcome, usage_record
from openclaw.agents.resets import reset_command, run_message
from openclaw.agents.runevents import SILENT_REPLY, TOOL_EVENTS
from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.gateway.methods.delivery import Delivery, DeliveryError, deliver, requested_target, resolve
from openclaw.gateway.methods.targets import resolve_target, params_schema
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, UNAVAILABLE, GatewayError, missing_scope

_log = Logger(namespace="gateway/agent")

_STRING = {"type": "string"}
_NONEMPTY = {"type": "string", "minLength": 1}

AGENT_PARAMS = params_schema(
    required=("message", "idempotencyKey"),
    typed={
        "message": _NONEMPTY, "idempotencyKey": _NONEMPTY, "agentId": _NONEMPTY, "sessionKey": _STRING,
        "sessionId": _STRING, "model": _STRING, "provider": _STRING, "thinking": _STRING, "deliver": {"type": "boolean"},
        "bestEffortDeliver": {"type": "boolean"}, "timeout": {"type": "integer", "minimum": 0},
        "channel": _STRING, "replyChannel": _STRING, "to": _STRING, "replyTo": _STRING, "accountId": _STRING,
        "replyAccountId": _STRING,
        "extraSystemPrompt": _STRING, "label": _STRING, "lane": _STRING,
        "promptMode": {"enum": ["full", "minimal", "none"]}, "attachments": {"type": "array"},
    },
    # accepted as the published protocol has them, not acted on (yet)
    ignored=(
        "threadId", "groupId", "groupChannel",
        "groupSpace", "expectedExistingSessionId", "cwd", "cleanupBundleMcpOnRunEnd", "modelRun", "bootstrapContextMode",
        "bootstrapContextRunKind", "acpTurnSource", "internalRuntimeHandoffId", "internalExecutionIdentityRetry",
        "internalExecutionIdentityRecoveryAttempt", "execApprovalFollowupExpectedSessionId", "disableMessageTool",
        "forceCodeModeTools", "forceRestartSafeTools", "inputProvenance", "internalEvents", "sessionEffects",
        "sourceReplyDeliveryMode", "suppressPromptPersistence", "swarmCollector", "swarmOutputSchema", "voiceWakeTrigger",
    ),
)

WAIT_PARAMS = params_schema(
    required=("runId",), typed={"runId": _NONEMPTY, "timeoutMs": {"type": "integer", "minimum": 0}}, ignored=()
)


def accepted(run: Run) -> dict[str, Any]:
    request = run.request
    return {
        "runId": run.runId, "sessionKey": request.sessionKey, "agentId": request.agentId, "status": "accepted",
        "acceptedAt": run.acceptedAt,
    }


def final_answer(run: Run, outcome: RunOutcome, deliveryStatus: str | None = None) -> dict[str, Any]:
    """The second C{res}: the outcome, or L{GatewayError} (with the payload) for a failed run."""
    runId = run.runId
    if outcome.status == "error":
        summary = outcome.error or "run failed"
        raise GatewayError(UNAVAILABLE, summary, payload={"runId": runId, "status": "error", "summary": summary})
    if outcome.status == "timeout":
        answer: dict[str, Any] = {
            "runId": runId, "status": "timeout", "summary": "aborted", "providerStarted": outcome.providerStarted,
        }
        if outcome.stopReason:
            answer["stopReason"] = outcome.stopReason
        if outcome.timeoutPhase:
            answer["timeoutPhase"] = outcome.timeoutPhase
        return answer
    payloads = [{"text": outcome.text, "mediaUrl": None}] if outcome.text and outcome.text.strip() != SILENT_REPLY else []
    agentMeta: dict[str, Any] = {"sessionId": outcome.sessionId, "provider": outcome.provider, "model": outcome.model}
    if outcome.usage is not None:
        usage = usage_record(outcome.usage)
        agentMeta["usage"] = {**usage, "total": usage.pop("totalTokens")}
    result: dict[str, Any] = {
        "payloads": payloads, "meta": {"durationMs": max(0, outcome.endedAt - run.acceptedAt), "agentMeta": agentMeta},
    }
    if deliveryStatus is not None:
        result["deliveryStatus"] = deliveryStatus
    return {"runId": runId, "status": "ok", "summary": "completed", "result": result}


def register(registry: MethodRegistry, tree, shell) -> None:
    runtime = tree.agents

    async def agent(params: dict, ctx: CallContext) -> dict[str, Any]:
        agentId, sessionKey = resolve_target(runtime, params.get("agentId"), params.get("sessionKey"))
        message, command = params["message"], reset_command(params["message"])
        if command is not None and not scopes.satisfies(ctx.scopes, scopes.ADMIN):
            raise missing_scope(scopes.ADMIN)
        try:
            model = run_model(runtime.settings, params.get("model"), params.get("provider"))
        except TargetError as e:
            raise GatewayError(INVALID_REQUEST, str(e)) from None
        delivery = await deliveryFor(params, agentId, sessionKey) if params.get("deliver") else None
        runId = params["idempotencyKey"]
        if command is not None and runtime.runs.get(runId) is None:
            await runtime.resetSession(agentId, sessionKey, command[0])
            message = run_message(command[1])
        run, created = runtime.start(RunRequest(
            runId=runId, agentId=agentId, sessionKey=sessionKey, message=message,
            kind="agent", queueMode=runtime.queueMode(None), timeoutSeconds=params.get("timeout") or None,
            model=model, extraSystemPrompt=params.get("extraSystemPrompt", ""),
        ))
        if created and TOOL_EVENTS in ctx.caps:
            run.events.addToolRecipient(ctx.emit, ctx.connId)
        if run.outcome is None:
            ctx.reply(accepted(run))
        outcome = await run.whenDone()
        status = None
        if delivery is not None and created and outcome.status == "ok":
            status = await deliver(tree.channels, delivery, runId, outcome)
        return final_answer(run, outcome, status)

    async def deliveryFor(params: dict, agentId: str, sessionKey: str) -> Delivery | None:
        """Where the reply goes; refused when nothing can take it, unless delivery is best effort."""
        entry = await runtime.stores.store(agentId).get(sessionKey)
        try:
            return resolve(tree.channels, requested_target(params), entry.lastRoute if entry else None)
        except DeliveryError as e:
            if not params.get("bestEffortDeliver"):
                raise GatewayError(INVALID_REQUEST, f"cannot deliver the reply: {e}") from None
            _log.info("run {runId} goes on without delivery: {problem}", runId=params["idempotencyKey"], problem=str(e))
            return None

    def wait(params: dict, ctx: CallContext):
        return runtime.runs.wait(params["runId"], params.get("timeoutMs", DEFAULT_WAIT_MS))

    registry.add("agent", scopes.WRITE, agent, AGENT_PARAMS)
    registry.add("agent.wait", scopes.WRITE, wait, WAIT_PARAMS)
    registry.addEvent("agent")
