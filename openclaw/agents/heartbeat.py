"""
Heartbeats: a turn the gateway starts by itself, every C{heartbeat.every} on the
reactor clock, so an agent can look after the checklist in its workspace's
C{HEARTBEAT.md} without being asked.

One beat, in order (each skip is an outcome with its reason):

- heartbeats switched off (C{set-heartbeats}) → C{skipped disabled};
- outside C{activeHours} (a scheduled beat; a wake is a person asking) → C{skipped quiet-hours};
- the session busy with a run → C{skipped requests-in-flight};
- C{HEARTBEAT.md} missing or without a task (only headings, empty items,
  comments) and no C{wake} text waiting → C{skipped empty-heartbeat-file}: no
  model is asked, so an agent nobody gave a checklist costs nothing;
- otherwise a run in the heartbeat session (the agent's main one unless
  C{heartbeat.session}): the prompt, then the C{wake} texts queued for that
  session. Its reply decides: empty or C{NO_REPLY} → C{ok-empty};
  C{HEARTBEAT_OK} at its start or end with at most C{ackMaxChars} besides →
  C{ok-token}; anything else is delivered to C{target} → C{sent}; a run that
  fails, or a delivery that does, → C{failed}.

Every outcome is a C{heartbeat} event (dropIfSlow) and becomes the answer of
C{last-heartbeat}. The timer of each agent runs on its own cadence: the next
beat is due C{every} after the previous one was, whatever that one did.
"""

from __future__ import annotations

import os
import re
import uuid
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.logger import Logger

from openclaw.agents.outbound import WEBCHAT
from openclaw.agents.runevents import SILENT_REPLY, Publish
from openclaw.agents.runs import RunRequest
from openclaw.agents.sessionkeys import scoped_key
from openclaw.agents.settings import HEARTBEAT_TOKEN, HeartbeatSettings
from openclaw.agents.workspace import workspace_path

_log = Logger(namespace="agents/heartbeat")

CHECKLIST = "HEARTBEAT.md"
#: Targets that mean "the session the heartbeat ran in" (where its reply already is).
SESSION_TARGETS = frozenset({"owner", "last", WEBCHAT})
NO_TARGET = "none"
PREVIEW_CHARS = 200
#: C{wake} texts kept per session until a beat takes them; the oldest go first.
MAX_QUEUED_EVENTS = 20

_INDICATORS = {"ok-empty": "ok", "ok-token": "ok", "sent": "alert", "failed": "error"}
_NOT_A_TASK = re.compile(r"#.*|[-*+]\s*(\[[ xX]?\])?\s*|<!--.*?-->")
#: The token at the start or end of a reply, with the markup and closing punctuation around it.
_TOKEN_EDGE = re.compile(rf"^[\s*_`~]*{HEARTBEAT_TOKEN}[\s*_`~.!]*|[\s*_`~]*{HEARTBEAT_TOKEN}[\s*_`~.!]*$")


def has_tasks(checklist: str | None) -> bool:
    """Whether C{HEARTBEAT.md}'s text lists anything (headings, empty list items and comments do not count)."""
    if not checklist:
        return False
    text = re.sub(r"<!--.*?-->", "", checklist, flags=re.S)
    return any(line.strip() and not _NOT_A_TASK.fullmatch(line.strip()) for line in text.splitlines())


def classify(reply: str, ackMaxChars: int) -> tuple[str, str]:
    """C{(status, text to deliver)} of a heartbeat reply: C{ok-empty}, C{ok-token} or C{sent}."""
    text = reply.strip()
    if not text or text == SILENT_REPLY:
        return "ok-empty", ""
    stripped = _TOKEN_EDGE.sub("", text).strip()
    if stripped != text and len(stripped) <= ackMaxChars:
        return "ok-token", stripped
    return "sent", stripped or text


def _read_checklist(path: str) -> str | None:
    try:
        with open(os.path.join(path, CHECKLIST), encoding="utf-8", errors="replace") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class HeartbeatScheduler(Service):
    """The heartbeat timers of the configured agents, the C{wake} queue, and the last outcome."""

    name = "heartbeats"

    def __init__(self, runtime: Any, clock: Any, reactor: Any, publish: Publish) -> None:
        self._runtime = runtime
        self._clock = clock
        self._reactor = reactor
        self._publish = publish
        #: C{set-heartbeats}: False skips every beat (the timers keep running).
        self.enabled = True
        #: The last C{heartbeat} event's payload (C{last-heartbeat}); None before the first.
        self.last: dict[str, Any] | None = None
        #: What delivers to a channel target: C{send(channel, accountId, to, text, key)} → Deferred (the channel manager).
        self.channels: Any = None
        self._timers: dict[str, tuple[int, Any]] = {}
        self._queued: dict[str, list[str]] = {}
        self._beating: set[str] = set()

    # timers -------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        self.reschedule()

    def stopService(self) -> None:
        for _, call in self._timers.values():
            if call.active():
                call.cancel()
        self._timers.clear()
        super().stopService()

    def reschedule(self) -> None:
        """Timers follow the current settings: a changed C{every} starts over, an agent turned off has none."""
        if not self.running:
            return
        agents = self._runtime.settings.agents
        wanted = {
            a.id: agents.heartbeatFor(a.id).everyMs for a in agents.agents
            if agents.heartbeatScheduled(a.id) and agents.heartbeatFor(a.id).everyMs
        }
        for agentId, (everyMs, call) in list(self._timers.items()):
            if wanted.get(agentId) != everyMs:
                if call.active():
                    call.cancel()
                del self._timers[agentId]
        for agentId, everyMs in wanted.items():
            if agentId not in self._timers:
                self._arm(agentId, everyMs)

    def _arm(self, agentId: str, everyMs: int) -> None:
        self._timers[agentId] = (everyMs, self._clock.callLater(everyMs / 1000, self._due, agentId))

    def _due(self, agentId: str) -> None:
        everyMs, _ = self._timers.pop(agentId)
        self._arm(agentId, everyMs)
        self.beat(agentId)

    def nextDueMs(self, agentId: str) -> int | None:
        """When the agent's next scheduled beat is due (epoch ms), None without a timer."""
        timer = self._timers.get(agentId)
        return int(timer[1].getTime() * 1000) if timer else None

    # wake ---------------------------------------------------------------------

    def wake(self, agentId: str, sessionKey: str | None, text: str, now: bool) -> None:
        """
        Queue C{text} for the next beat of C{sessionKey} (default: the agent's
        heartbeat session); with C{now}, or an explicit session, that beat is now.
        """
        key = sessionKey or self._sessionKey(agentId)
        queue = self._queued.setdefault(key, [])
        queue.append(text)
        del queue[:-MAX_QUEUED_EVENTS]
        if now or sessionKey is not None:
            self.beat(agentId, key, wake=True)

    def queuedEvents(self) -> list[str]:
        """The C{wake} texts no beat has taken yet (C{status.queuedSystemEvents})."""
        return [text for texts in self._queued.values() for text in texts]

    # one beat -----------------------------------------------------------------

    def _sessionKey(self, agentId: str) -> str:
        own = self._runtime.settings.agents.heartbeatFor(agentId).session
        return scoped_key(own, agentId) if own else self._runtime.mainSessionKey(agentId)

    def beat(self, agentId: str, sessionKey: str | None = None, wake: bool = False) -> "Deferred[dict[str, Any]]":
        """One heartbeat of C{agentId}; fires with its C{heartbeat} event payload, never fails."""
        startedMs = self._runtime.nowMs()
        d = Deferred.fromCoroutine(self._beat(agentId, sessionKey or self._sessionKey(agentId), wake))

        def crashed(failure: Any) -> dict[str, Any]:
            _log.failure("heartbeat of {agentId} failed", failure, agentId=agentId)
            return {"status": "failed", "reason": failure.getErrorMessage()}

        d.addErrback(crashed)
        return d.addCallback(self._announce, startedMs)

    async def _beat(self, agentId: str, key: str, wake: bool) -> dict[str, Any]:
        settings = self._runtime.settings.agents.heartbeatFor(agentId)
        if not self.enabled:
            return {"status": "skipped", "reason": "disabled"}
        hours = settings.activeHours
        if not wake and hours is not None and not hours.contains(self._clock.seconds()):
            return {"status": "skipped", "reason": "quiet-hours"}
        if key in self._beating or self._runtime.runs.activeRunIds(key):
            return {"status": "skipped", "reason": "requests-in-flight"}
        self._beating.add(key)
        try:
            path = workspace_path(self._runtime.settings.agents, agentId)
            checklist = await deferToThreadPool(self._reactor, self._reactor.getThreadPool(), _read_checklist, path)
            events = self._queued.pop(key, [])
            if not events and not has_tasks(checklist):
                return {"status": "skipped", "reason": "empty-heartbeat-file"}
            return await self._run(agentId, key, settings, events)
        finally:
            self._beating.discard(key)

    async def _run(self, agentId: str, key: str, settings: HeartbeatSettings, events: list[str]) -> dict[str, Any]:
        message = "\n\n".join([settings.promptText, *(f"System event: {text}" for text in events)])
        run, _ = self._runtime.start(RunRequest(
            runId=f"heartbeat-{uuid.uuid4()}", agentId=agentId, sessionKey=key, message=message, kind="heartbeat",
        ))
        outcome = await run.whenDone()
        if outcome.stopReason == "gateway_draining":
            return {"status": "skipped", "reason": "gateway-draining"}
        if outcome.status != "ok":
            return {"status": "failed", "reason": outcome.error or outcome.stopReason or outcome.status}
        status, text = classify(outcome.text, settings.ackMaxChars)
        if status != "sent":
            return {"status": status, **({"preview": text[:PREVIEW_CHARS]} if text else {})}
        return await self._deliver(key, settings, text, run.runId)

    async def _deliver(self, key: str, settings: HeartbeatSettings, text: str, runId: str) -> dict[str, Any]:
        """The reply to the heartbeat's target (a session target already has it: the run wrote it there)."""
        preview = text[:PREVIEW_CHARS]
        target = settings.target
        if target == NO_TARGET:
            return {"status": "skipped", "reason": "no-target", "preview": preview}
        if target in SESSION_TARGETS:
            return {"status": "sent", "channel": WEBCHAT, "to": key, "preview": preview}
        if self.channels is None or not settings.to:
            return {"status": "failed", "reason": f"no route to {target}: set heartbeat.to", "channel": target,
                    "preview": preview}
        try:
            sent = await self.channels.send(target, settings.accountId, settings.to, text, runId)
        except Exception as e:
            return {"status": "failed", "reason": f"delivery to {target} failed: {e}", "channel": target,
                    "to": settings.to, "preview": preview}
        return {"status": "sent", "channel": target, "to": settings.to, "accountId": sent["accountId"],
                "preview": preview}

    def _announce(self, outcome: dict[str, Any], startedMs: int) -> dict[str, Any]:
        now = self._runtime.nowMs()
        payload = {"ts": now, **outcome, "durationMs": max(0, now - startedMs)}
        indicator = _INDICATORS.get(outcome["status"])
        if indicator:
            payload["indicatorType"] = indicator
        self.last = payload
        self._publish("heartbeat", payload, True)
        return payload

    # what health and status report ----------------------------------------------

    def healthFields(self, agentId: str) -> dict[str, Any]:
        """The agent's C{heartbeat} object of the C{health} snapshot."""
        agents = self._runtime.settings.agents
        settings = agents.heartbeatFor(agentId)
        enabled = agents.heartbeatScheduled(agentId) and settings.everyMs > 0
        fields = {
            "enabled": enabled, "every": settings.every, "everyMs": settings.everyMs if enabled else None,
            "prompt": settings.promptText, "target": settings.target, "ackMaxChars": settings.ackMaxChars,
        }
        if settings.session:
            fields["session"] = settings.session
        return fields

    def statusFields(self, agentId: str) -> dict[str, Any]:
        """The agent's row of C{status.heartbeat.agents}."""
        fields = self.healthFields(agentId)
        settings = self._runtime.settings.agents.heartbeatFor(agentId)
        waiting = settings.target not in SESSION_TARGETS | {NO_TARGET} and not self._routed(settings)
        return {"agentId": agentId, "enabled": fields["enabled"], "every": fields["every"], "everyMs": fields["everyMs"],
                "waitingForRoute": fields["enabled"] and waiting}

    def _routed(self, settings: HeartbeatSettings) -> bool:
        """Whether a channel target has a chat and a running account to go out through."""
        if self.channels is None or not settings.to:
            return False
        return any(r.running for r in self.channels.accounts(settings.target, settings.accountId))
