"""
One run, start to end: the session is rolled if its reset policy says so, the
user message (its text and C{{type:"image", data, mimeType}} parts for the images
it carries) goes into the transcript, the session's context becomes a
L{ModelRequest}, the model's stream becomes C{agent}/C{chat} events, and the
assistant message (text and the tool calls the model made, with provider,
model, usage and stop reason) goes into the transcript.

The tool loop: while the model answers with tool calls, each call runs (C{agent}
events C{stream:"tool"}, phases C{start}, C{update} as a tool reports partial
results, and C{result}, to the run's tool-event recipients, and C{session.tool} to
the session's subscribers), its C{toolResult} message goes into the transcript, and the model
is asked again with the results, at most C{tools.maxSteps} requests per run; a
model still calling tools after that ends the run as an error. A call to one of
the request's client tools (the HTTP APIs' function tools) is not run: the turn
ends there and hands the calls back in its outcome. The request's C{toolChoice}
binds the first model request only: the requests that carry tool results back
leave the choice to the model (a C{required} choice would otherwise loop).

A turn that fails leaves the user message without a reply, so the next turn's
request still carries it. L{Turn.abort} closes the upstream request at once; the
turn then ends as aborted, keeping the partial reply in the transcript.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import CancelledError, Deferred

from openclaw.agents.models import ModelConfigError
from openclaw.agents.providers.base import (
    Completion,
    Image,
    Message,
    ModelRequest,
    ProviderError,
    StreamEvent,
    TextDelta,
    ToolCall,
    Usage,
)
from openclaw.agents.runevents import RunEvents
from openclaw.agents.tools.base import ToolResult
from openclaw.agents.sessions.maintenance import is_stale

if TYPE_CHECKING:
    from openclaw.agents.runs import Run, RunSnapshot
    from openclaw.agents.sessions.bus import SessionBus
    from openclaw.agents.sessions.store import SessionStore
    from openclaw.agents.providers.service import ModelService
    from openclaw.agents.tools.toolbox import Toolbox

#: What a failed model call is reported as in C{errorDetail.failoverReason} and C{errorKind}.
_FAILOVER_REASONS = {
    "transient": "server_error", "rate_limit": "rate_limit", "overload": "overloaded", "auth": "auth",
    "timeout": "timeout", "not_found": "model_not_found", "other": "unknown",
}
_ERROR_KINDS = {"rate_limit": "rate_limit", "timeout": "timeout"}
_PREVIEW = 300


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended; C{status} is C{ok}, C{error} or C{timeout} (aborted, timed out, refused)."""

    status: str
    endedAt: int
    startedAt: int | None = None
    text: str = ""
    error: str | None = None
    stopReason: str | None = None
    timeoutPhase: str | None = None
    providerStarted: bool = False
    sessionId: str | None = None
    provider: str | None = None
    model: str | None = None
    usage: Usage | None = None
    #: The calls of the request's client tools the model made (the run ended on them).
    toolCalls: tuple[ToolCall, ...] = ()


def usage_record(usage: Usage) -> dict[str, int]:
    return {
        "input": usage.input, "output": usage.output, "cacheRead": usage.cacheRead, "cacheWrite": usage.cacheWrite,
        "totalTokens": usage.input + usage.output,
    }


def model_messages(context: list[dict[str, Any]]) -> tuple[Message, ...]:
    """
    Transcript messages as the model sees them. A tool call nobody answered (no
    tool has run it) is left out: the APIs refuse a call without its result.
    """
    answered = {m.get("toolCallId") for m in context if m.get("role") == "toolResult"}
    messages: list[Message] = []
    for m in context:
        role = m.get("role")
        blocks = m.get("content")
        if isinstance(blocks, str):
            blocks = [{"type": "text", "text": blocks}]
        text = "".join(b.get("text", "") for b in blocks or () if b.get("type") == "text")
        if role == "user":
            images = tuple(
                Image(b["mimeType"], b["data"]) for b in blocks or ()
                if b.get("type") == "image" and isinstance(b.get("data"), str) and isinstance(b.get("mimeType"), str)
            )
            messages.append(Message("user", text, images=images))
        elif role == "assistant":
            calls = tuple(
                ToolCall(b["id"], b["name"], b.get("arguments") or {})
                for b in blocks or () if b.get("type") == "toolCall" and b.get("id") in answered
            )
            if text or calls:
                messages.append(Message("assistant", text, toolCalls=calls))
        elif role == "toolResult":
            messages.append(
                Message("toolResult", text, toolCallId=m.get("toolCallId"), toolName=m.get("toolName"), isError=bool(m.get("isError")))
            )
    return tuple(messages)


def session_snapshot(entry: Any) -> dict[str, Any]:
    """The session fields C{session.tool} payloads carry, from the row the run started with."""
    fields = {
        "sessionId": entry.sessionId, "updatedAt": entry.updatedAt, "label": entry.label,
        "displayName": entry.displayName, "model": entry.model, "modelProvider": entry.modelProvider,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _added(a: Usage, b: Usage) -> Usage:
    return Usage(a.input + b.input, a.output + b.output, a.cacheRead + b.cacheRead, a.cacheWrite + b.cacheWrite)


class Turn:
    def __init__(
        self,
        run: "Run",
        snapshot: "RunSnapshot",
        store: "SessionStore",
        bus: "SessionBus",
        models: "ModelService",
        clock: Any,
    ) -> None:
        self.run = run
        self._snapshot = snapshot
        self._store = store
        self._bus = bus
        self._models = models
        self._clock = clock
        self._events: RunEvents = run.events
        self._stream: Deferred | None = None
        self._itemBase = str(uuid.uuid4())
        self._itemId = f"{self._itemBase}:1"
        self._tool: Deferred | None = None
        self.abortReason: str | None = None
        self.providerStarted = False
        self._sessionId: str | None = None
        self._startedAt: int | None = None

    def _now(self) -> int:
        return int(self._clock.seconds() * 1000)

    def start(self) -> "Deferred[RunOutcome]":
        return Deferred.fromCoroutine(self._run())

    def abort(self, reason: str) -> None:
        """Stop the turn: the upstream request (if any) is closed now."""
        if self.abortReason is None:
            self.abortReason = reason
            for pending in (self._stream, self._tool):
                if pending is not None:
                    pending.cancel()

    # the turn -------------------------------------------------------------------

    async def _run(self) -> RunOutcome:
        request = self.run.request
        key, agentId = request.sessionKey, request.agentId
        events = self._events
        if request.kind == "chat":
            events.status("preparing_context")
        policy = self._snapshot.session.reset
        now = self._now()
        route = {"lastRoute": dict(request.route), "channel": request.route["channel"]} if request.route else {}
        entry, user, context = await self._store.begin(key, {
            "role": "user", "timestamp": now,
            "content": [{"type": "text", "text": request.message},
                        *({"type": "image", "data": i.data, "mimeType": i.mimeType} for i in request.images)],
            "idempotencyKey": f"{request.runId}:user",
        }, request.runId, lambda e: policy.mode if is_stale(e, policy, now) else None,
            lastInteractionAt=now, lastRunId=request.runId, **route)
        self._sessionId = entry.sessionId
        events.setSession(session_snapshot(entry))
        self._bus.changed(entry, "send", agentId, activeRunIds=[request.runId], runId=request.runId)
        self._bus.messageAppended(agentId, key, user, runId=request.runId)
        self._startedAt = self._now()
        events.lifecycle("start", startedAt=self._startedAt)
        if self.abortReason is not None:
            return self._aborted("")
        snapshot = self._snapshot
        try:
            plan = snapshot.models.plan(snapshot.choice)
        except ModelConfigError as e:
            return await self._failed(ProviderError("not_found", str(e)), None)
        primary = plan[0]
        if request.kind == "chat":
            events.status("starting_model")
        events.lifecycle("model", provider=primary.provider, model=primary.model)
        toolbox = snapshot.toolbox
        clientTools = request.clientTools
        clientNames = {t.name for t in clientTools}
        served = toolbox.definitions(primary.provider) if toolbox is not None else ()
        tools = tuple(t for t in served if t.name not in clientNames) + clientTools
        system = snapshot.systemPrompt
        if snapshot.workspace is not None:
            system = await snapshot.workspace.systemPrompt(tools, system)
        usage = Usage()
        step = 0
        while True:
            step += 1
            self._itemId = f"{self._itemBase}:{step}"
            modelRequest = ModelRequest(
                model=primary.model, messages=model_messages(context), system=system, tools=tools,
                toolChoice=request.toolChoice if step == 1 else None,
                maxTokens=request.maxTokens, temperature=request.temperature,
            )
            self._stream = self._models.stream(modelRequest, self._onEvent, snapshot.choice, agentId)
            try:
                completion: Completion = await self._stream
            except CancelledError:
                return await self._stored(self._aborted(events.text))
            except (ProviderError, ModelConfigError) as e:
                error = e if isinstance(e, ProviderError) else ProviderError("not_found", str(e))
                return await self._failed(error, primary)
            finally:
                self._stream = None
            usage = _added(usage, completion.usage)
            clientCalls = tuple(c for c in completion.toolCalls if c.name in clientNames)
            if toolbox is None or not completion.toolCalls or clientCalls:
                return await self._completed(completion, usage, clientCalls)
            await self._append(self._assistantMessage(completion, completion.usage))
            if step >= toolbox.maxSteps:
                return self._tooManySteps(toolbox.maxSteps)
            for call in completion.toolCalls:
                await self._callTool(toolbox, call, primary.provider)
                if self.abortReason is not None:
                    return self._aborted(events.text)
            context = await self._store.context(key)
            if self.abortReason is not None:
                return self._aborted(events.text)

    async def _callTool(self, toolbox: "Toolbox", call: ToolCall, provider: str) -> None:
        """One tool call: C{tool} events start and result around it, its C{toolResult} in the transcript."""
        events = self._events
        events.tool({"phase": "start", "name": call.name, "toolCallId": call.id, "args": call.arguments})
        self._tool = toolbox.run(
            call, provider, lambda partial: events.toolUpdate(call.name, call.id, partial.wire()),
        )
        try:
            result: ToolResult = await self._tool
        except CancelledError:
            result = ToolResult("the run was stopped", isError=True)
        finally:
            self._tool = None
        events.tool({
            "phase": "result", "name": call.name, "toolCallId": call.id, "isError": result.isError,
            "result": result.wire(),
        })
        await self._append({
            "role": "toolResult", "toolCallId": call.id, "toolName": call.name,
            "content": [{"type": "text", "text": result.text}], "isError": result.isError,
            **({"details": dict(result.details)} if result.details is not None else {}), "timestamp": self._now(),
        })

    def _tooManySteps(self, maxSteps: int) -> RunOutcome:
        """The model still calls tools after C{maxSteps} requests: the run ends as an error."""
        events = self._events
        endedAt = self._now()
        message = f"the tool loop stopped after {maxSteps} steps (tools.maxSteps)"
        seq = events.lifecycle("error", error=message, startedAt=self._startedAt, endedAt=endedAt)
        events.error(seq, message, "unknown", {})
        return RunOutcome("error", endedAt, self._startedAt, events.text, error=message,
                          providerStarted=True, sessionId=self._sessionId)

    def _onEvent(self, event: StreamEvent) -> None:
        self.providerStarted = True
        if isinstance(event, TextDelta):
            self._events.assistant(event.text, self._itemId)

    def _assistantMessage(self, completion: Completion, usage: Usage) -> dict[str, Any]:
        """The transcript message of one model answer: its text and the tool calls it made."""
        provider, _, model = (completion.model or "").partition("/")
        content: list[dict[str, Any]] = []
        if completion.text:
            content.append({"type": "text", "text": completion.text})
        content.extend({"type": "toolCall", "id": c.id, "name": c.name, "arguments": c.arguments} for c in completion.toolCalls)
        return {
            "role": "assistant", "content": content, "provider": provider, "model": model,
            "usage": usage_record(usage), "stopReason": completion.stopReason or "stop", "timestamp": self._now(),
        }

    async def _completed(self, completion: Completion, usage: Usage, clientCalls: tuple[ToolCall, ...] = ()) -> RunOutcome:
        """
        The model answered without (further) tool calls, or called the caller's own
        tools (C{clientCalls}, handed back in the outcome); C{usage} covers every step of the run.
        """
        events = self._events
        provider, _, model = (completion.model or "").partition("/")
        events.agent("usage", {"inputTokens": usage.input, "outputTokens": usage.output})
        stopReason = completion.stopReason or "stop"
        await self._append(self._assistantMessage(completion, completion.usage))
        endedAt = self._now()
        events.lifecycle("finishing", stopReason=stopReason, aborted=False, endedAt=endedAt)
        disposition = "visible" if completion.text else "empty"
        events.lifecycle(
            "end", startedAt=self._startedAt, endedAt=endedAt, aborted=False, stopReason=stopReason,
            terminalReply={"disposition": disposition, **({"text": completion.text} if completion.text else {})},
        )
        events.final(stopReason)
        return RunOutcome(
            "ok", endedAt, self._startedAt, completion.text, stopReason=stopReason, providerStarted=True,
            sessionId=self._sessionId, provider=provider, model=model, usage=usage, toolCalls=clientCalls,
        )

    async def _append(self, message: dict[str, Any]) -> None:
        request = self.run.request
        entry = await self._store.append(request.sessionKey, message, runId=request.runId)
        self._bus.messageAppended(request.agentId, request.sessionKey, entry, runId=request.runId)

    def _aborted(self, partial: str) -> RunOutcome:
        """The turn was stopped (C{chat.abort}, a newer message, the run's timeout)."""
        reason = self.abortReason or "aborted"
        endedAt = self._now()
        events = self._events
        if reason == "timeout":
            message = "the run timed out"
            seq = events.lifecycle(
                "error", error=message, startedAt=self._startedAt, endedAt=endedAt, stopReason="timeout",
                aborted=True, providerStarted=self.providerStarted,
            )
            events.error(seq, message, "timeout", {})
        else:
            seq = events.lifecycle(
                "end", status="cancelled", aborted=True, stopReason=reason, startedAt=self._startedAt, endedAt=endedAt,
            )
            events.aborted(seq, reason)
        return RunOutcome(
            "timeout", endedAt, self._startedAt, partial, stopReason=reason, providerStarted=self.providerStarted,
            sessionId=self._sessionId,
        )

    async def _stored(self, outcome: RunOutcome) -> RunOutcome:
        """An aborted turn keeps what the model had said."""
        if outcome.text:
            await self._append({
                "role": "assistant", "content": [{"type": "text", "text": outcome.text}],
                "stopReason": "aborted", "timestamp": self._now(),
            })
        return outcome

    async def _failed(self, error: ProviderError, primary) -> RunOutcome:
        events = self._events
        endedAt = self._now()
        message = f"model request failed: {error}"
        detail: dict[str, Any] = {"failoverReason": _FAILOVER_REASONS.get(error.kind, "unknown")}
        if primary is not None:
            detail.update(provider=primary.provider, model=primary.model)
        if error.status is not None and 100 <= error.status <= 599:
            detail["httpStatus"] = error.status
        detail["providerErrorMessagePreview"] = str(error)[:_PREVIEW]
        seq = events.lifecycle("error", error=message, startedAt=self._startedAt, endedAt=endedAt, errorObservation=detail)
        events.error(seq, message, _ERROR_KINDS.get(error.kind, "unknown"), detail)
        return RunOutcome("error", endedAt, self._startedAt, events.text, error=message,
                          providerStarted=self.providerStarted, sessionId=self._sessionId)
