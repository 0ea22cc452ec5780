"""
One channel (IRC, Telegram) as the manager sees it: the account runners of that
channel id and their part of C{channels.status} and C{health}, with the status
issues an operator can act on (each with a C{fix}).
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import MultiService, Service
from twisted.internet.defer import DeferredList, succeed
from twisted.internet.interfaces import IReactorTime
from zope.interface import implementer

from openclaw.channels.base import IChannel
from openclaw.channels.kinds import KINDS, Kind, setup_hint
from openclaw.channels.runner import AccountRunner

#: Each account's live probe gets this long (the manager bounds the whole channel too).
PROBE_SECONDS = 8.0
MAX_ISSUES = 50


@implementer(IChannel)
class Channel(MultiService):
    def __init__(self, channelId: str, defaultAccountId: str, clock: IReactorTime) -> None:
        super().__init__()
        self.channelId = self.name = channelId
        kind = KINDS.get(channelId) or Kind(channelId, channelId, channelId, "", "")
        self.label, self.detailLabel = kind.label, kind.detailLabel
        self.defaultAccountId = defaultAccountId
        self._clock = clock

    def runners(self) -> list[AccountRunner]:
        return list(self)

    def runner(self, accountId: str) -> AccountRunner | None:
        return next((r for r in self if r.accountId == accountId), None)

    def adopt(self, runner: AccountRunner, start: bool) -> None:
        """Add C{runner}; a running channel starts it only when C{start}."""
        running = self.running
        self.running = running and start  # (MultiService.addService starts the child of a running parent)
        try:
            runner.setServiceParent(self)
        finally:
            self.running = running

    def startRunner(self, runner: AccountRunner) -> None:
        """Start one account; the channel counts as running from then on (its others stay as they are)."""
        if not self.running:
            Service.startService(self)
        if not runner.running:
            runner.startService()

    def _default(self) -> AccountRunner | None:
        return self.runner(self.defaultAccountId) or next(iter(self), None)

    def issues(self) -> list[dict[str, Any]]:
        found = []
        for r in self:
            config = r.account.config
            if not r.account.enabled:
                continue
            if r.account.problem:
                found.append(self._issue(r, "config", r.account.problem, setup_hint(self.channelId)))
            for problem in getattr(getattr(config, "policy", None), "problems", ()):
                found.append(self._issue(r, "config", problem, f"edit channels.{self.channelId} (dmPolicy/allowFrom)"))
            state = r.healthState()
            if state == "terminal-disconnect":
                found.append(self._issue(r, "auth", r.state.get("lastError") or "credentials rejected",
                                         f"replace the credentials of {self.channelId} {r.accountId}, then "
                                         f"openclaw gateway call channels.start --params "
                                         f"'{{\"channel\":\"{self.channelId}\",\"accountId\":\"{r.accountId}\"}}'"))
            elif state in ("not-running", "disconnected", "stale-socket") and r.account.configured:
                found.append(self._issue(r, "runtime", r.state.get("lastError") or state,
                                         f"check the {self.label} server and credentials: "
                                         f"openclaw channels status --probe --channel {self.channelId}"))
        return found[:MAX_ISSUES]

    def _issue(self, r: AccountRunner, kind: str, message: str, fix: str) -> dict[str, Any]:
        return {"channel": self.channelId, "accountId": r.accountId, "kind": kind, "message": message, "fix": fix}

    def health(self) -> dict[str, Any]:
        accounts = {r.accountId: r.snapshot() for r in self}
        default = self._default()
        record = dict(accounts[default.accountId]) if default is not None else {}
        record["accounts"] = accounts
        return record

    def summary(self) -> str:
        states = ", ".join(f"{r.accountId} {r.healthState()}" for r in self)
        return f"{self.label}: {states}"

    def status(self, probe: bool) -> Any:
        asked = [r.probe(PROBE_SECONDS) for r in self if r.account.enabled] if probe else []

        def collect(_: Any) -> dict[str, Any]:
            default = self._default()
            summary: dict[str, Any] = {"configured": any(r.account.configured for r in self)}
            if default is not None:
                snap = default.snapshot()
                summary.update({k: v for k, v in snap.items() if k not in ("accountId", "allowFrom")})
                summary["lastError"] = snap.get("lastError")
            issues = self.issues()
            if issues:
                summary["statusIssues"] = issues
            return {
                "summary": summary,
                "accounts": [r.snapshot() for r in self],
                "defaultAccountId": self.defaultAccountId,
            }

        return (DeferredList(asked, consumeErrors=True) if asked else succeed([])).addCallback(collect)

