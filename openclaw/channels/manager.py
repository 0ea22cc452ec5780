"""
The channel manager: one L{Channel} per configured channel id, each holding one
L{AccountRunner} per account; the durable channel store; the shared inbound
path. Config edits apply hot: an account whose settings changed restarts alone,
added accounts start, removed ones stop; accounts stopped by hand stay stopped.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, DeferredList, TimeoutError, gatherResults, maybeDeferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from openclaw.channels.channel import Channel
from openclaw.channels.inbound import InboundPath
from openclaw.channels.kinds import transport_factory
from openclaw.channels.runner import AccountRunner
from openclaw.channels.settings import AccountSettings, ChannelsSettings
from openclaw.channels.store import ChannelStore
from openclaw.reloadable import ISettingsConsumer

_log = Logger(namespace="gateway/channels")

#: How long one channel's status (and probes) may take, in ms: the default, with
#: C{probe}, and the bounds a caller's C{timeoutMs} is clamped to.
STATUS_TIMEOUT_MS = 10000
PROBE_TIMEOUT_MS = 30000
MIN_TIMEOUT_MS = 1000
MAX_TIMEOUT_MS = 30000
MAX_WARNINGS = 50


class UnknownAccount(Exception):
    pass


def status_timeout_ms(probe: bool, timeoutMs: int | None) -> int:
    if timeoutMs is None:
        return PROBE_TIMEOUT_MS if probe else STATUS_TIMEOUT_MS
    return max(MIN_TIMEOUT_MS, min(int(timeoutMs), MAX_TIMEOUT_MS))


@implementer(ISettingsConsumer)
class ChannelManager(MultiService):
    name = "channels"
    sections = frozenset({"channels", "agents", "session", "messages"})
    #: Set by the crash-loop breaker: starting the manager leaves every channel down
    #: until L{restoreAutoStart}; L{startChannel} still starts one on request.
    autoStartSuppressed = False

    def __init__(
        self,
        settings: ChannelsSettings = ChannelsSettings(),
        reactor: Any = None,
        clock: IReactorTime | None = None,
        stateDir: str | None = None,
        dispatcher: Any = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._reactor = reactor
        self._clock = clock if clock is not None else reactor
        self.store = ChannelStore(stateDir, self._clock) if stateDir is not None else None
        self.inbound = InboundPath(settings, self._clock, self.store, dispatcher, self.runner) if self.store else None
        for account in settings.accounts:
            self._add(account)

    # building -----------------------------------------------------------------------

    def _channel(self, channelId: str) -> Channel:
        for svc in self:
            if svc.channelId == channelId:
                return svc
        channel = Channel(channelId, self.settings.defaultAccounts.get(channelId, "default"), self._clock)
        self.addService(channel)
        return channel

    def _add(self, account: AccountSettings, manuallyStopped: bool = False) -> AccountRunner:
        transport = None
        if account.enabled and account.configured and self.inbound is not None:
            make = transport_factory(account.channelId)
            transport = make(account.config, account.accountId, self._reactor, self._clock, self.store)
        runner = AccountRunner(account, transport, self._clock, self._delivered, onConnected=self._connected)
        runner.manuallyStopped = manuallyStopped
        self._channel(account.channelId).adopt(runner, start=not manuallyStopped)
        return runner

    def _delivered(self, runner: AccountRunner, messages: list, offset: Any) -> Deferred:
        return self.inbound.receiveBatch(runner, messages, offset)

    def _connected(self, runner: AccountRunner) -> None:
        """An account is (re)connected: what it left queued before a restart is handled now."""
        if self.inbound is not None:
            self.inbound.replay(runner.channelId, runner.accountId)

    # lifecycle ----------------------------------------------------------------------

    def startService(self) -> None:
        if self.store is not None:
            self.store.startService()
        if not self.autoStartSuppressed:
            return super().startService()
        Service.startService(self)  # the manager runs; its channels wait
        for svc in self:
            self._holdBack(svc)

    def stopService(self) -> Deferred:
        if self.inbound is not None:
            self.inbound.stop()
        d = maybeDeferred(super().stopService)
        if self.store is not None:
            d.addCallback(lambda _: self.store.stopService())
        return d

    def addService(self, service: Any) -> None:
        """A channel added to a running manager starts at once, unless auto-start is suppressed."""
        if not (self.running and self.autoStartSuppressed):
            return super().addService(service)
        self.running = False  # (MultiService.addService starts the child of a running parent)
        try:
            super().addService(service)
        finally:
            self.running = True
        self._holdBack(service)

    def suppressAutoStart(self, manualStart: str) -> None:
        self.autoStartSuppressed = True
        self._manualStart = manualStart

    def _holdBack(self, svc: Any) -> None:
        _log.warn(
            "channel autostart suppressed by crash-loop breaker; refusing automatic start for "
            "{channel}. Start a channel manually with: {hint}",
            channel=svc.channelId, hint=self._manualStart.replace("<id>", svc.channelId),
        )

    def restoreAutoStart(self) -> None:
        """Start the channels the breaker held back (those already started stay as they are)."""
        self.autoStartSuppressed = False
        if self.running:
            for svc in self:
                if not svc.running:
                    svc.startService()

    # hot apply ------------------------------------------------------------------------

    def applySettings(self, settings: Any, changedSections: frozenset[str]) -> bool:
        """
        The new accounts, hot: only accounts whose settings changed restart (a
        root key changes every account of its channel); routing, session and
        debounce settings apply to the next message.
        """
        new: ChannelsSettings = settings.channels
        old, self.settings = self.settings, new
        if self.inbound is not None:
            self.inbound.settings = new
        stoppedByHand = set()
        for account in old.accounts:
            if new.account(account.channelId, account.accountId) != account:
                previous = self.runner(account.channelId, account.accountId)
                if previous is not None and previous.manuallyStopped:
                    stoppedByHand.add((account.channelId, account.accountId))
                self._remove(account.channelId, account.accountId)
        for account in new.accounts:
            if old.account(account.channelId, account.accountId) != account:
                key = (account.channelId, account.accountId)
                runner = self._add(account, manuallyStopped=key in stoppedByHand)
                _log.info("[{account}] settings changed; {what}", account=runner.name,
                          what="kept stopped" if key in stoppedByHand else "restarted")
        for channel in list(self):
            channel.defaultAccountId = new.defaultAccounts.get(channel.channelId, "default")
            if not channel.runners():
                channel.disownServiceParent()
        return True

    def _remove(self, channelId: str, accountId: str) -> None:
        runner = self.runner(channelId, accountId)
        if runner is not None:
            runner.disownServiceParent()  # stops it (MultiService.removeService)

    # operator actions -------------------------------------------------------------------

    def runner(self, channelId: str, accountId: str) -> AccountRunner | None:
        channel = next((svc for svc in self if svc.channelId == channelId), None)
        return None if channel is None else channel.runner(accountId)

    def accounts(self, channelId: str, accountId: str | None = None) -> list[AccountRunner]:
        """The runners of C{channelId} (only C{accountId}'s, when given)."""
        return [
            r for svc in self if svc.channelId == channelId
            for r in svc.runners() if accountId in (None, r.accountId)
        ]

    def startChannel(self, channelId: str, accountId: str | None = None) -> list[AccountRunner]:
        """
        Start C{channelId}'s accounts (only C{accountId}, when given) now, suppressed
        or not: C{channels.start}; an account whose session ended for good (a
        rejected token, the ladder gave up) tries again. Returns the runners
        started; empty when there is no such account or it already runs.
        """
        started = [r for r in self.accounts(channelId, accountId) if not r.running or r.idle]
        for r in started:
            if r.running:
                r.startService()
            else:
                self._channel(channelId).startRunner(r)
        return started

    def stopChannel(self, channelId: str, accountId: str | None = None) -> Deferred:
        """Stop C{channelId}'s running accounts: C{channels.stop}. Fires with those stopped; they stay stopped."""
        running = [r for r in self.accounts(channelId, accountId) if r.running]
        for r in running:
            r.manuallyStopped = True
        d = gatherResults([maybeDeferred(r.stopService) for r in running], consumeErrors=True)
        return d.addCallback(lambda _: running)

    # outbound ---------------------------------------------------------------------------

    def send(self, channelId: str, accountId: str | None, to: str, text: str, idempotencyKey: str) -> Deferred:
        """
        Deliver C{text} to C{to} through one account (the channel's default when
        C{accountId} is None), the way replies go: C{send} RPC and
        C{openclaw message send} (which dedupes by idempotency key), heartbeats.
        """
        accountId = accountId or self.settings.defaultAccounts.get(channelId, "default")
        runner, chat = self._target(channelId, accountId, to)
        answer = {"channel": channelId, "accountId": accountId, "to": to, "messageId": idempotencyKey}
        return runner.send(chat, text, None).addCallback(lambda _: answer)

    def checkTarget(self, channelId: str, accountId: str | None, to: str) -> str:
        """
        The account a reply to C{to} would go through (the channel's default when
        C{accountId} is None); L{UnknownAccount} or ValueError when nothing could send it.
        """
        accountId = accountId or self.settings.defaultAccounts.get(channelId, "default")
        self._target(channelId, accountId, to)
        return accountId

    def _target(self, channelId: str, accountId: str, to: str) -> tuple[AccountRunner, Any]:
        runner = self.runner(channelId, accountId)
        if runner is None or runner.transport is None:
            raise UnknownAccount(f"no configured {channelId} account {accountId!r}")
        return runner, runner.transport.target(to)

    # status -----------------------------------------------------------------------------

    def unhealthy(self) -> list[str]:
        """C{channel:account} of every account that should serve and does not (C{/readyz})."""
        return [r.name for svc in self for r in svc.runners() if not r.healthy()]

    def healthSummary(self) -> dict[str, Any]:
        """The channel part of the C{health} snapshot, one record per channel."""
        channels = {svc.channelId: svc.health() for svc in self}
        return {
            "channels": channels,
            "channelOrder": list(channels),
            "channelLabels": {svc.channelId: svc.label for svc in self},
        }

    def summaryLines(self) -> list[str]:
        return [svc.summary() for svc in self]

    def status(
        self, clock: IReactorTime, probe: bool = False, timeoutMs: int | None = None, channel: str | None = None
    ) -> Deferred:
        """
        The channel part of C{channels.status}: every channel (or just C{channel})
        asked at once, each bounded by the clamped timeout.  A channel that fails or
        times out is left out and named in C{warnings}, with C{partial: true}.
        """
        selected = [svc for svc in self if channel is None or svc.channelId == channel]
        limit = status_timeout_ms(probe, timeoutMs)
        asked = [maybeDeferred(svc.status, probe).addTimeout(limit / 1000, clock) for svc in selected]

        def collect(results: list[tuple[bool, Any]]) -> dict[str, Any]:
            out: dict[str, Any] = {
                "channelOrder": [],
                "channelLabels": {},
                "channelDetailLabels": {},
                "channelSystemImages": {},
                "channelMeta": [],
                "channels": {},
                "channelAccounts": {},
                "channelDefaultAccountId": {},
            }
            warnings = []
            for svc, (ok, value) in zip(selected, results):
                cid = svc.channelId
                if not ok:
                    if value.check(TimeoutError):
                        warnings.append(f"{cid} summary timed out after {limit}ms")
                    else:
                        warnings.append(f"{cid} summary failed: {value.getErrorMessage()}")
                    continue
                out["channelOrder"].append(cid)
                out["channelLabels"][cid] = svc.label
                out["channelDetailLabels"][cid] = svc.detailLabel
                out["channelMeta"].append({"id": cid, "label": svc.label, "detailLabel": svc.detailLabel})
                out["channels"][cid] = value["summary"]
                out["channelAccounts"][cid] = value["accounts"]
                out["channelDefaultAccountId"][cid] = value["defaultAccountId"]
            if warnings:
                out["partial"] = True
                out["warnings"] = sorted(warnings)[:MAX_WARNINGS]
            return out

        return DeferredList(asked, consumeErrors=True).addCallback(collect)
