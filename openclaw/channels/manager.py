"""
The channel manager: a MultiService holding one client service per channel account.
Channel modules register here as they are added; until then it has none to run.
"""

from __future__ import annotations

from typing import Any

from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, DeferredList, TimeoutError, gatherResults, maybeDeferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

from openclaw.channels.settings import ChannelsSettings
from openclaw.reloadable import ISettingsConsumer

_log = Logger(namespace="gateway/channels")

#: How long one channel's status (and probes) may take, in ms: the default, with
#: C{probe}, and the bounds a caller's C{timeoutMs} is clamped to.
STATUS_TIMEOUT_MS = 10000
PROBE_TIMEOUT_MS = 30000
MIN_TIMEOUT_MS = 1000
MAX_TIMEOUT_MS = 30000
MAX_WARNINGS = 50


def status_timeout_ms(probe: bool, timeoutMs: int | None) -> int:
    if timeoutMs is None:
        return PROBE_TIMEOUT_MS if probe else STATUS_TIMEOUT_MS
    return max(MIN_TIMEOUT_MS, min(int(timeoutMs), MAX_TIMEOUT_MS))


@implementer(ISettingsConsumer)
class ChannelManager(MultiService):
    name = "channels"
    sections = frozenset({"channels"})
    #: Set by the crash-loop breaker: starting the manager leaves every channel down
    #: until L{restoreAutoStart}; L{startChannel} still starts one on request.
    autoStartSuppressed = False

    def __init__(self, settings: ChannelsSettings = ChannelsSettings()) -> None:
        super().__init__()
        #: The configured accounts of the running snapshot.
        self.settings = settings

    def applySettings(self, settings: Any, changedSections: frozenset[str]) -> bool:
        """Channel edits apply without a gateway restart: the manager takes the new accounts."""
        self.settings = settings.channels
        return True

    def suppressAutoStart(self, manualStart: str) -> None:
        self.autoStartSuppressed = True
        self._manualStart = manualStart

    def startService(self) -> None:
        if not self.autoStartSuppressed:
            return super().startService()
        Service.startService(self)  # the manager runs; its channels wait
        for svc in self:
            self._holdBack(svc)

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

    def accounts(self, channelId: str, accountId: str | None = None) -> list[Any]:
        """The services of C{channelId} (only C{accountId}'s, when given)."""
        return [
            svc for svc in self
            if svc.channelId == channelId and accountId in (None, getattr(svc, "accountId", None))
        ]

    def startChannel(self, channelId: str, accountId: str | None = None) -> list[Any]:
        """
        Start C{channelId}'s services (only C{accountId}'s, when given) now, suppressed
        or not: C{channels.start}. Returns the services started; empty when there is
        no such channel or it already runs.
        """
        started = [svc for svc in self.accounts(channelId, accountId) if not svc.running]
        for svc in started:
            svc.startService()
        return started

    def stopChannel(self, channelId: str, accountId: str | None = None) -> Deferred:
        """Stop C{channelId}'s running services: C{channels.stop}. Fires with those stopped."""
        running = [svc for svc in self.accounts(channelId, accountId) if svc.running]
        d = gatherResults([maybeDeferred(svc.stopService) for svc in running], consumeErrors=True)
        return d.addCallback(lambda _: running)

    def healthSummary(self) -> dict[str, Any]:
        """The channel part of the C{health} snapshot, one record per running channel."""
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
