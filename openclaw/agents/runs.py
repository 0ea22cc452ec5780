"""
Runs and their queues.

A run is one agent turn in one session, named by the caller's idempotency key.
The L{RunManager} keeps:

- the dedupe cache: a key seen again while its run is queued or running gets that
  run (the caller answers "in flight"); after it ended, its outcome, for
  L{DEDUPE_TTL} seconds and at most L{DEDUPE_MAX} ended runs;
- one FIFO lane per session (one active run per session) and the global cap
  C{agents.defaults.maxConcurrent} over all sessions: a queued run starts when its
  session is free and a slot is, in the order the runs arrived;
- queue modes: C{interrupt} aborts what runs in the session (and drops what waits
  there) before queueing the new run; C{followup} (and C{steer}/C{collect}, which
  behave the same here) waits its turn;
- run timeouts on the clock, and the refusal of new runs while the gateway drains.

    queued ──start──▶ running ──turn ends──▶ ended
       │                 └──abort/timeout──▶ ended (status timeout)
       └──abort/interrupt/drain──▶ ended (status timeout, timeoutPhase queue|gateway_draining)

Waiting on a run (C{agent.wait}, the second C{agent} answer) never changes it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from twisted.internet.defer import CancelledError, Deferred, DeferredList
from twisted.logger import Logger

from openclaw.agents.models import ModelChoice, ModelsSettings
from openclaw.agents.runevents import Publish, RunEvents
from openclaw.agents.settings import SessionSettings
from openclaw.agents.turn import RunOutcome, Turn
from openclaw.dedupe import DEDUPE_MAX, DEDUPE_TTL

if TYPE_CHECKING:
    from openclaw.agents.tools.policy import ToolPolicy
    from openclaw.agents.providers.base import Image, Tool, ToolChoice
    from openclaw.agents.tools.toolbox import Toolbox
    from openclaw.agents.workspace import Workspace

_log = Logger(namespace="agents/runs")

DEFAULT_WAIT_MS = 30_000


@dataclass(frozen=True)
class RunRequest:
    runId: str
    agentId: str
    sessionKey: str
    message: str
    #: C{agent} (the two-stage RPC), C{chat} (C{chat.send}: also status events) or C{heartbeat}.
    kind: str = "agent"
    queueMode: str = "followup"
    #: Seconds; None: the agent default, 0: no limit.
    timeoutSeconds: float | None = None
    #: A per-run model ref (C{agent model}/C{provider}); strict, no fallbacks.
    model: str | None = None
    extraSystemPrompt: str = ""
    #: Where the message came from (C{{channel, to, accountId?, threadId?}}), remembered as the
    #: session's last route: C{chat.send deliver} sends the reply there.
    route: Mapping[str, str] | None = None
    #: The channel layer of the tool policy (a group's C{tools}/C{toolsBySender}); None: no such layer.
    toolPolicy: "ToolPolicy | None" = None
    #: Tools the caller runs itself (the HTTP APIs' function tools): a call to one ends
    #: the run with that call in its outcome (L{RunOutcome.toolCalls}) instead of running it.
    clientTools: tuple["Tool", ...] = ()
    #: How the first model request must use its tools (the HTTP APIs' C{tool_choice}); None: the model decides.
    toolChoice: "ToolChoice | None" = None
    #: Images the user message carries (base64, as sent), stored with it in the transcript.
    images: tuple["Image", ...] = ()
    #: Per-run sampling limits for the model requests (None: the model's defaults).
    maxTokens: int | None = None
    temperature: float | None = None


@dataclass(frozen=True)
class RunSnapshot:
    """The settings a run starts with; a reload meanwhile does not change them."""

    models: ModelsSettings
    choice: ModelChoice | None
    session: SessionSettings
    timeoutSeconds: float
    #: The caller's extra system prompt (the workspace prompt comes first when there is a workspace).
    systemPrompt: str
    #: The tools the run may call, under the policy of this snapshot; None: no tools.
    toolbox: "Toolbox | None" = None
    #: The agent's workspace, read into the system prompt when the run starts.
    workspace: "Workspace | None" = None


class Run:
    def __init__(self, request: RunRequest, events: RunEvents, acceptedAt: int) -> None:
        self.request = request
        self.events = events
        self.acceptedAt = acceptedAt
        self.state = "queued"
        self.outcome: RunOutcome | None = None
        self.endedAt: float | None = None
        self.turn: Turn | None = None
        self._watchers: list[Deferred] | None = []
        self._timer: Any = None

    @property
    def runId(self) -> str:
        return self.request.runId

    def whenDone(self) -> "Deferred[RunOutcome]":
        """
        Fires with the outcome once the run has ended and its session row says so;
        cancelling it only stops this watcher.
        """
        if self._watchers is None:
            d: Deferred = Deferred()
            d.callback(self.outcome)
            return d
        d = Deferred(lambda w: self._watchers.remove(w) if self._watchers and w in self._watchers else None)
        self._watchers.append(d)
        return d

    def waitResult(self) -> dict[str, Any]:
        """What C{agent.wait} answers for this run now."""
        if self.outcome is None:
            if self.state == "queued":
                return {"runId": self.runId, "status": "pending", "timeoutPhase": "queue", "providerStarted": False}
            return {"runId": self.runId, "status": "timeout"}
        return wait_result(self.runId, self.outcome)

    def _settle(self, outcome: RunOutcome, clock: Any) -> None:
        self.state = "ended"
        self.outcome = outcome
        self.endedAt = clock.seconds()
        if self._timer is not None and self._timer.active():
            self._timer.cancel()

    def _notify(self) -> None:
        watchers, self._watchers = self._watchers or [], None
        for d in watchers:
            d.callback(self.outcome)


def wait_result(runId: str, outcome: RunOutcome) -> dict[str, Any]:
    result: dict[str, Any] = {"runId": runId, "status": outcome.status, "endedAt": outcome.endedAt}
    if outcome.startedAt is not None:
        result["startedAt"] = outcome.startedAt
    if outcome.error:
        result["error"] = outcome.error
    if outcome.stopReason:
        result["stopReason"] = outcome.stopReason
    if outcome.timeoutPhase:
        result["timeoutPhase"] = outcome.timeoutPhase
    if outcome.status != "ok":
        result["providerStarted"] = outcome.providerStarted
    if outcome.status == "ok":
        result["terminalReply"] = {"disposition": "visible", "text": outcome.text} if outcome.text else {"disposition": "empty"}
    return result


class RunManager:
    def __init__(
        self,
        runtime: Any,
        clock: Any,
        publish: Publish,
        track: Callable[[Deferred], Any] = lambda d: d,
        accepting: Callable[[], bool] = lambda: True,
    ) -> None:
        self._runtime = runtime
        self._clock = clock
        self._publish = publish
        self._track = track
        self._accepting = accepting
        #: runId → run: queued and running ones, then ended ones until they expire.
        self._runs: OrderedDict[str, Run] = OrderedDict()
        #: Queued runs in arrival order.
        self._queued: list[Run] = []
        #: sessionKey → its running run.
        self._active: dict[str, Run] = {}

    def _ms(self) -> int:
        return int(self._clock.seconds() * 1000)

    # lookups ----------------------------------------------------------------------

    def get(self, runId: str) -> Run | None:
        self._expire()
        return self._runs.get(runId)

    def activeRunIds(self, sessionKey: str) -> list[str]:
        """The runs of C{sessionKey} not ended yet: the running one first, then the queued ones."""
        active = self._active.get(sessionKey)
        ids = [active.runId] if active else []
        return ids + [r.runId for r in self._queued if r.request.sessionKey == sessionKey]

    @property
    def running(self) -> int:
        return len(self._active)

    # submitting -------------------------------------------------------------------

    def submit(self, request: RunRequest, watch: Callable[[str, Any], None] | None = None) -> tuple[Run, bool]:
        """
        The run for C{request.runId}: (the existing one, False) or (a new one, True).
        C{watch(event, payload)} receives the run's events (see L{RunEvents.addWatcher}),
        for a new run from its first one.
        """
        existing = self.get(request.runId)
        if existing is not None:
            if watch is not None:
                existing.events.addWatcher(watch)
            return existing, False
        isHeartbeat = {"chat": False, "heartbeat": True}.get(request.kind)
        events = RunEvents(
            request.runId, request.sessionKey, request.agentId, self._publish, self._clock, isHeartbeat,
            sessionTool=self._runtime.bus.toolEvent,
        )
        if watch is not None:
            events.addWatcher(watch)
        run = Run(request, events, self._ms())
        self._runs[run.runId] = run
        self._track(self._work(run))
        if not self._accepting():
            self._end(run, RunOutcome("timeout", self._ms(), timeoutPhase="gateway_draining", stopReason="gateway_draining"))
            return run, True
        if request.queueMode == "interrupt":
            self.abort(request.sessionKey, None, "interrupt")
        self._queued.append(run)
        self._pump()
        return run, True

    def _work(self, run: Run) -> Deferred:
        """The run as in-flight work: fires when it ends; cancelling it (a shutdown out of time) stops it."""
        work: Deferred = Deferred(lambda _: self.abort(run.request.sessionKey, run.runId, "shutdown"))
        run.whenDone().addCallback(lambda _: None if work.called else work.callback(None))
        return work

    def _pump(self) -> None:
        """Start queued runs whose session is free, in arrival order, while slots are."""
        cap = self._runtime.settings.agents.defaults.maxConcurrent
        for run in list(self._queued):
            if not self._accepting():
                self._queued.remove(run)
                self._end(run, RunOutcome("timeout", self._ms(), timeoutPhase="gateway_draining", stopReason="gateway_draining"))
                continue
            if len(self._active) >= cap:
                return
            if run.request.sessionKey in self._active:
                continue
            self._queued.remove(run)
            self._start(run)

    def _start(self, run: Run) -> None:
        run.state = "running"
        self._active[run.request.sessionKey] = run
        snapshot = self._runtime.snapshot(run.request)
        turn = run.turn = self._runtime.turn(run, snapshot)
        if snapshot.timeoutSeconds:
            run._timer = self._clock.callLater(snapshot.timeoutSeconds, turn.abort, "timeout")
        d = turn.start()
        d.addErrback(self._crashed, run)
        d.addCallback(self._finished, run)

    def _crashed(self, failure, run: Run) -> RunOutcome:
        """A bug or a store failure inside the turn: the run fails, the lane goes on."""
        _log.failure("run {runId} failed", failure, runId=run.runId)
        message = f"run failed: {failure.getErrorMessage()}"
        seq = run.events.lifecycle("error", error=message, endedAt=self._ms())
        if not run.events.finished:
            run.events.error(seq, message, "unknown", {})
        return RunOutcome("error", self._ms(), error=message, providerStarted=run.turn.providerStarted if run.turn else False)

    def _finished(self, outcome: RunOutcome, run: Run) -> None:
        if self._active.get(run.request.sessionKey) is run:
            del self._active[run.request.sessionKey]
        self._end(run, outcome)
        self._pump()

    def _end(self, run: Run, outcome: RunOutcome) -> None:
        run._settle(outcome, self._clock)
        self._runtime.runEnded(run).addBoth(lambda _: run._notify())

    # stopping ---------------------------------------------------------------------

    def abort(self, sessionKey: str, runId: str | None, reason: str) -> list[str]:
        """
        Stop C{runId} (or every run of C{sessionKey}): a queued run ends at once
        (C{timeoutPhase: queue}), a running one is aborted (its upstream request
        closed now). Returns the ids of the runs stopped.
        """
        stopped: list[str] = []
        for run in [r for r in self._queued if r.request.sessionKey == sessionKey and runId in (None, r.runId)]:
            self._queued.remove(run)
            self._end(run, RunOutcome("timeout", self._ms(), stopReason=reason, timeoutPhase="queue"))
            stopped.append(run.runId)
        active = self._active.get(sessionKey)
        if active is not None and runId in (None, active.runId) and active.turn is not None:
            active.turn.abort(reason)
            stopped.insert(0, active.runId)
        return stopped

    def stopAll(self, reason: str) -> Deferred:
        """Stop every run (the runtime is stopping); fires once the running ones have ended."""
        for run in list(self._queued):
            self.abort(run.request.sessionKey, run.runId, reason)
        running = list(self._active.values())
        for run in running:
            self.abort(run.request.sessionKey, run.runId, reason)
        return DeferredList([run.whenDone() for run in running], consumeErrors=True)

    def wait(self, runId: str, timeoutMs: int) -> "Deferred[dict[str, Any]] | dict[str, Any]":
        """
        C{agent.wait}: the outcome once the run ends, or C{{runId, status:
        "timeout"}} at the deadline. A queued run answers C{pending} at once.
        """
        run = self.get(runId)
        if run is None:
            return {"runId": runId, "status": "timeout"}
        if run.state != "running":
            return run.waitResult()
        d = run.whenDone()
        d.addCallback(lambda outcome: wait_result(runId, outcome))
        timer = self._clock.callLater(timeoutMs / 1000, d.cancel)

        def settled(result: Any) -> Any:
            if timer.active():
                timer.cancel()
            return result

        def deadline(failure: Any) -> dict[str, Any]:
            failure.trap(CancelledError)
            return {"runId": runId, "status": "timeout"}

        d.addBoth(settled)
        d.addErrback(deadline)
        return d

    def _expire(self) -> None:
        """Drop ended runs older than the dedupe TTL, and the oldest beyond the cap."""
        now = self._clock.seconds()
        ended = [r for r in self._runs.values() if r.endedAt is not None]
        excess = len(ended) - DEDUPE_MAX
        for run in ended:
            if excess > 0 or now - run.endedAt >= DEDUPE_TTL:
                del self._runs[run.runId]
                excess -= 1
