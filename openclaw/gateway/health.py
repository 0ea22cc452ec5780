"""
The health snapshot and the event-loop monitor behind it.

The snapshot is refreshed every minute and shortly after a client connects; a
refresh whose content differs from the last one is committed (the health
C{stateVersion} goes up) and broadcast as a C{health} event.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable

from twisted.application.service import Service
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from openclaw.agents.runtime import AgentRuntime
from openclaw.channels.manager import ChannelManager

_log = Logger(namespace="gateway/health")

REFRESH_INTERVAL = 60.0
CONNECT_REFRESH_DELAY = 1.0
SAMPLE_INTERVAL = 1.0
_DELAY_DEGRADED_MS = 1000.0
_CPU_DEGRADED = 0.9
#: Fields that change on every refresh and do not make a new health state.
_VOLATILE = ("ts", "durationMs", "eventLoop")


class EventLoopMonitor:
    """Samples reactor lag and CPU use once a second (a cheap timer, even when idle)."""

    def __init__(self, clock: IReactorTime, cpuClock: Callable[[], float] = time.process_time) -> None:
        self._clock = clock
        self._cpu = cpuClock
        self._delays: deque[float] = deque(maxlen=60)
        self._loop = LoopingCall(self._sample)
        self._loop.clock = clock
        self._last = (clock.seconds(), cpuClock())
        self._ratio = 0.0
        self._interval = SAMPLE_INTERVAL * 1000
        self._degradedSince: int | None = None

    def start(self) -> None:
        self._last = (self._clock.seconds(), self._cpu())
        self._loop.start(SAMPLE_INTERVAL, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()

    def _sample(self) -> None:
        now, cpu = self._clock.seconds(), self._cpu()
        wall = now - self._last[0]
        self._interval = wall * 1000
        self._delays.append(max(0.0, (wall - SAMPLE_INTERVAL) * 1000))
        self._ratio = max(0.0, (cpu - self._last[1]) / wall) if wall > 0 else 0.0
        self._last = (now, cpu)

    def snapshot(self) -> dict[str, Any]:
        delays = sorted(self._delays) or [0.0]
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        reasons = []
        if p99 > _DELAY_DEGRADED_MS:
            reasons.append("event_loop_delay")
        if self._ratio > _CPU_DEGRADED:
            reasons.append("cpu")
        nowMs = int(self._clock.seconds() * 1000)
        if reasons and self._degradedSince is None:
            self._degradedSince = nowMs
        elif not reasons:
            self._degradedSince = None
        return {
            "degraded": bool(reasons),
            "degradedSinceMs": self._degradedSince,
            "reasons": reasons,
            "intervalMs": round(self._interval, 3),
            "delayP99Ms": round(p99, 1),
            "delayMaxMs": round(delays[-1], 1),
            "utilization": round(min(1.0, self._ratio), 3),
            "cpuCoreRatio": round(self._ratio, 3),
        }


class HealthMonitor(Service):
    name = "health"

    def __init__(
        self,
        clock: IReactorTime,
        agents: AgentRuntime,
        channels: ChannelManager,
        reloadActive: Callable[[], bool],
        onCommit: Callable[[dict[str, Any]], None],
    ) -> None:
        self._clock = clock
        self._agents = agents
        self._channels = channels
        self._reloadActive = reloadActive
        self._onCommit = onCommit
        self.eventLoop = EventLoopMonitor(clock)
        self._loop = LoopingCall(self._scheduledRefresh)
        self._loop.clock = clock
        self._pending = None
        self.current: dict[str, Any] = {}

    def startService(self) -> None:
        super().startService()
        self.current = self.collect()
        self.eventLoop.start()
        self._loop.start(REFRESH_INTERVAL, now=False)

    def stopService(self):
        self.eventLoop.stop()
        if self._loop.running:
            self._loop.stop()
        if self._pending is not None and self._pending.active():
            self._pending.cancel()
        return super().stopService()

    def collect(self) -> dict[str, Any]:
        started = self._clock.seconds()
        snapshot: dict[str, Any] = {
            "ok": True,
            "ts": int(started * 1000),
            "durationMs": 0,
            "eventLoop": self.eventLoop.snapshot(),
            "plugins": {"loaded": [], "errors": [], "unavailable": []},
            "configReload": {"hotReloadStatus": "active" if self._reloadActive() else "disabled"},
            **self._channels.healthSummary(),
            **self._agents.healthSummary(),
        }
        snapshot["durationMs"] = int((self._clock.seconds() - started) * 1000)
        return snapshot

    def refresh(self) -> dict[str, Any]:
        fresh = self.collect()
        changed = {k: v for k, v in fresh.items() if k not in _VOLATILE} != {
            k: v for k, v in self.current.items() if k not in _VOLATILE
        }
        self.current = fresh
        if changed:
            self._onCommit(fresh)
        return fresh

    def _scheduledRefresh(self) -> None:
        try:
            self.refresh()
        except Exception:
            # a failing part (say, a channel's health record) must not end the refresh loop
            _log.failure("health refresh failed")

    def soon(self) -> None:
        """Refresh shortly (coalesced), e.g. after a client connects."""
        if self.running and (self._pending is None or not self._pending.active()):
            self._pending = self._clock.callLater(CONNECT_REFRESH_DELAY, self._scheduledRefresh)

    def cached(self, maxAgeMs: int = int(REFRESH_INTERVAL * 1000)) -> dict[str, Any]:
        if not self.current or self._clock.seconds() * 1000 - self.current["ts"] > maxAgeMs:
            return self.refresh()
        return self.current
