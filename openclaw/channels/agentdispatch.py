"""
The inbound path's door to the run engine: a channel L{Turn} becomes a run on its
session's lane (C{AgentRuntime.start}), its final text the reply; control commands
act on the session directly (C{/stop} aborts its runs, C{/new} and C{/reset} start
it afresh, C{/status} describes it).
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import succeed
from zope.interface import implementer

from openclaw.agents.runs import RunRequest
from openclaw.channels.dispatch import IDispatcher, Turn


class RunFailed(Exception):
    pass


@implementer(IDispatcher)
class RunEngineDispatcher:
    def __init__(self, runtime: Any) -> None:
        self._runtime = runtime

    def dispatch(self, turn: Turn) -> Any:
        if turn.command is not None:
            return self._command(turn)
        request = RunRequest(
            runId=f"channel:{turn.idempotencyKey}",
            agentId=turn.agentId,
            sessionKey=turn.sessionKey,
            message=turn.body,
            queueMode=self._runtime.queueMode(None, turn.channel),
            extraSystemPrompt=turn.systemPrompt or "",
            route=_route(turn),
            toolPolicy=turn.toolPolicy,
        )
        run, _ = self._runtime.start(request)
        return run.whenDone().addCallback(_reply_texts)

    def _command(self, turn: Turn) -> Any:
        if turn.command == "/stop":
            stopped = self._runtime.runs.abort(turn.sessionKey, None, "stop")
            return succeed(["Stopped." if stopped else "Nothing is running."])
        if turn.command in ("/new", "/reset"):
            d = self._runtime.resetSession(turn.agentId, turn.sessionKey, turn.command.lstrip("/"))
            return d.addCallback(lambda _: ["New session started."])
        active = self._runtime.runs.activeRunIds(turn.sessionKey)
        return succeed([f"Agent {turn.agentId}, session {turn.sessionKey}: {len(active)} active run(s)."])


def _route(turn: Turn) -> dict[str, str]:
    """Where the turn's messages came from, as the session remembers its last route."""
    route = {"channel": turn.channel, "accountId": turn.accountId, "to": turn.chat.peerId}
    if turn.chat.threadId:
        route["threadId"] = turn.chat.threadId
    return route


def _reply_texts(outcome: Any) -> list[str]:
    if outcome.status == "ok":
        return [outcome.text] if outcome.text else []
    raise RunFailed(outcome.error or outcome.stopReason or outcome.status)
