"""
C{agent} (start a run, answered twice on one request id) and C{agent.wait}.

The first C{res} says the run was accepted (or why the request is invalid);
the second, after the run's lifecycle end, carries its outcome. A run that
failed answers the second time with C{ok: false}, an C{UNAVAILABLE} error and
the run's C{{runId, status: "error", summary}} payload. A caller that goes away
between the two frames stops waiting, not the run: it still ends in the
transcript.
"""

from __future__ import annotations

from typing import Any

from openclaw.agents.runs import DEFAULT_WAIT_MS, Run, RunRequest
from openclaw.agents.runtarget import TargetError, run_model
from openclaw.agents.turn import RunOutcome, usage_record
from openclaw.agents.runevents import SILENT_REPLY, TOOL_EVENTS
from openclaw.gateway.methods import CallContext, MethodRegistry
from openclaw.gateway.methods.targets import resolve_target, params_schema
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, UNAVAILABLE, GatewayError

_STRING = {"type": "string"}
_NONEMPTY = {"type": "string", "minLength": 1}

AGENT_PARAMS = params_schema(
    required=("message", "idempotencyKey"),
    typed={
        "message": _NONEMPTY, "idempotencyKey": _NONEMPTY, "agentId": _NONEMPTY, "sessionKey": _STRING,
        "sessionId": _STRING, "model": _STRING, "provider": _STRING, "thinking": _STRING, "deliver": {"type": "boolean"},
        "bestEffortDeliver": {"type": "boolean"}, "timeout": {"type": "integer", "minimum": 0},
        "extraSystemPrompt": _STRING, "label": _STRING, "lane": _STRING,
        "promptMode": {"enum": ["full", "minimal", "none"]}, "attachments": {"type": "array"},
    },
    # accepted as the published protocol has them, not acted on (yet)
    ignored=(
        "to", "replyTo", "channel", "replyChannel", "accountId", "replyAccountId", "threadId", "groupId", "groupChannel",
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


def final_answer(run: Run, outcome: RunOutcome) -> dict[str, Any]:
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
    return {
        "runId": runId, "status": "ok", "summary": "completed",
        "result": {"payloads": payloads, "meta": {"durationMs": max(0, outcome.endedAt - run.acceptedAt), "agentMeta": agentMeta}},
    }


def register(registry: MethodRegistry, tree, shell) -> None:
    runtime = tree.agents

    def agent(params: dict, ctx: CallContext):
        if params.get("deliver") and not params.get("bestEffortDeliver"):
            raise GatewayError(INVALID_REQUEST, "cannot deliver the reply: this gateway has no channel route for agent runs")
        agentId, sessionKey = resolve_target(runtime, params.get("agentId"), params.get("sessionKey"))
        try:
            model = run_model(runtime.settings, params.get("model"), params.get("provider"))
        except TargetError as e:
            raise GatewayError(INVALID_REQUEST, str(e)) from None
        run, created = runtime.start(RunRequest(
            runId=params["idempotencyKey"], agentId=agentId, sessionKey=sessionKey, message=params["message"],
            kind="agent", queueMode=runtime.queueMode(None), timeoutSeconds=params.get("timeout") or None,
            model=model, extraSystemPrompt=params.get("extraSystemPrompt", ""),
        ))
        if created and TOOL_EVENTS in ctx.caps:
            run.events.addToolRecipient(ctx.emit)
        if run.outcome is None:
            ctx.reply(accepted(run))
        return run.whenDone().addCallback(lambda outcome: final_answer(run, outcome))

    def wait(params: dict, ctx: CallContext):
        return runtime.runs.wait(params["runId"], params.get("timeoutMs", DEFAULT_WAIT_MS))

    registry.add("agent", scopes.WRITE, agent, AGENT_PARAMS)
    registry.add("agent.wait", scopes.WRITE, wait, WAIT_PARAMS)
    registry.addEvent("agent")
