"""
Agent runs for a Twisted application that embeds the gateway: start a run, read
its events as an async iterator, get its result as a Deferred, without a
WebSocket. A run starts through C{AgentRuntime.start}, exactly like the C{agent}
RPC's, so it queues in its session's lane, lands in the transcript and is
broadcast to connected clients like any other.

    runs = AgentRuns(gateway)              # the service makeService returned, running
    run = runs.start("Name three colours.", sessionKey="colours")
    async for event in run.events():
        if event.delta:
            print(event.delta, end="")
    result = await run.result()            # RunResult(status="ok", text=..., ...)

The events are those a WebSocket client sees for the run (C{agent}, including its
C{stream:"tool"} events, and C{chat}), with their payloads as sent; they are kept
for the run's lifetime, so each L{AgentRun.events} iteration starts at the first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, AsyncIterator

from twisted.internet.defer import Deferred

from openclaw.agents.runs import Run, RunRequest
from openclaw.agents.runtarget import TargetError, run_model, run_target
from openclaw.agents.turn import RunOutcome, usage_record


class RunRefused(ValueError):
    """The run was not started: an empty message, an unknown agent or model, a session of another agent."""


@dataclass(frozen=True)
class RunEvent:
    """One event of the run: C{event} is C{agent} or C{chat}, C{payload} as the wire carries it."""

    event: str
    payload: dict[str, Any]

    @property
    def stream(self) -> str | None:
        """An C{agent} event's stream (C{lifecycle}, C{assistant}, C{tool}, …); None for C{chat}."""
        return self.payload.get("stream") if self.event == "agent" else None

    @property
    def delta(self) -> str:
        """The new reply text an C{agent} assistant event brings (empty for every other event)."""
        if self.stream != "assistant":
            return ""
        return self.payload["data"].get("delta", "")


@dataclass(frozen=True)
class RunResult:
    """
    How the run ended. C{status}: C{ok}, C{error} (C{error} says why) or
    C{timeout} (stopped, timed out or refused while queued; C{stopReason} and
    C{timeoutPhase} say which).
    """

    runId: str
    agentId: str
    sessionKey: str
    status: str
    text: str
    error: str | None = None
    stopReason: str | None = None
    timeoutPhase: str | None = None
    provider: str | None = None
    model: str | None = None
    #: C{{input, output, cacheRead, cacheWrite, totalTokens}} of a completed run.
    usage: dict[str, int] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _result(run: Run, outcome: RunOutcome) -> RunResult:
    request = run.request
    return RunResult(
        runId=run.runId, agentId=request.agentId, sessionKey=request.sessionKey, status=outcome.status,
        text=outcome.text, error=outcome.error, stopReason=outcome.stopReason, timeoutPhase=outcome.timeoutPhase,
        provider=outcome.provider, model=outcome.model,
        usage=usage_record(outcome.usage) if outcome.usage is not None else None,
    )


class AgentRun:
    """A started run: its events (L{events}), its result (L{result}), and L{abort}."""

    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime
        self._events: list[RunEvent] = []
        self._ended = False
        self._waiting: list[Deferred] = []
        self._run: Run | None = None

    def _attach(self, run: Run) -> None:
        self._run = run
        run.whenDone().addCallback(self._end)

    def _watch(self, event: str, payload: dict[str, Any]) -> None:
        self._events.append(RunEvent(event, payload))
        self._wake()

    def _end(self, outcome: RunOutcome) -> None:
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(None)

    def _more(self) -> Deferred:
        d: Deferred = Deferred()
        self._waiting.append(d)
        return d

    @property
    def runId(self) -> str:
        return self._run.runId

    @property
    def agentId(self) -> str:
        return self._run.request.agentId

    @property
    def sessionKey(self) -> str:
        return self._run.request.sessionKey

    async def events(self) -> AsyncIterator[RunEvent]:
        """Every event of the run from its first, as it arrives; ends when the run has ended."""
        index = 0
        while True:
            if index < len(self._events):
                index += 1
                yield self._events[index - 1]
            elif self._ended:
                return
            else:
                await self._more()

    def result(self) -> "Deferred[RunResult]":
        """Fires with the L{RunResult} once the run has ended and its session row says so; never fails."""
        run = self._run
        return run.whenDone().addCallback(lambda outcome: _result(run, outcome))

    def abort(self) -> bool:
        """Stop the run (queued or running); its result then has C{status} C{timeout}. Whether it was stopped."""
        return bool(self._runtime.runs.abort(self.sessionKey, self.runId, "rpc"))


class AgentRuns:
    """
    The runs of an embedded gateway: C{gateway} is the service
    C{openclaw.gateway.service.makeService} returned. Its agent runtime is looked up
    at each L{start}, so runs keep working across an in-process restart.
    """

    def __init__(self, gateway: Any) -> None:
        self._gateway = gateway

    @property
    def runtime(self) -> Any:
        return self._gateway.tree.agents

    def start(
        self,
        message: str,
        *,
        agentId: str | None = None,
        sessionKey: str | None = None,
        model: str | None = None,
        timeoutSeconds: float | None = None,
        extraSystemPrompt: str = "",
        runId: str | None = None,
    ) -> AgentRun:
        """
        Start a run of C{agentId} (default: the default agent) in C{sessionKey}
        (default: the agent's main session; a key without C{agent:} belongs to the
        agent). C{model} is a per-run model ref (strict, no fallbacks);
        C{timeoutSeconds} None takes the agent default, 0 means no limit. A C{runId}
        of a run still known attaches to it (its events from then on). Raises
        L{RunRefused} when the run cannot start.
        """
        if not isinstance(message, str) or not message.strip():
            raise RunRefused("a run needs a message")
        runtime = self.runtime
        try:
            agentId, sessionKey = run_target(runtime.settings, agentId, sessionKey)
            model = run_model(runtime.settings, model)
        except TargetError as e:
            raise RunRefused(str(e)) from None
        handle = AgentRun(runtime)
        request = RunRequest(
            runId=runId or f"embed:{uuid.uuid4()}", agentId=agentId, sessionKey=sessionKey, message=message,
            kind="agent", queueMode=runtime.queueMode(None), timeoutSeconds=timeoutSeconds, model=model,
            extraSystemPrompt=extraSystemPrompt,
        )
        run, _ = runtime.start(request, handle._watch)
        handle._attach(run)
        return handle


__all__ = ["AgentRun", "AgentRuns", "RunEvent", "RunRefused", "RunResult"]
