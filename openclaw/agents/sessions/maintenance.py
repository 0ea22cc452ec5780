"""
Session upkeep decisions, as pure functions of the sessions and the time:

- L{prune_keys}: which sessions maintenance removes (C{session.maintenance}:
  not updated for C{pruneAfterMs}, then the oldest beyond C{maxEntries});
- L{is_stale}: whether a session is due for a reset before its next run
  (C{session.reset}: C{daily} at C{atHour} local time, C{idle} after C{idleMinutes}).
"""

from __future__ import annotations

import datetime
from typing import Any, Iterable


def prune_keys(rows: Iterable[tuple[str, int]], nowMs: int, pruneAfterMs: int, maxEntries: int) -> list[str]:
    """The keys to remove among C{(key, updatedAt)} rows: the stale ones, then the oldest over the cap."""
    newestFirst = sorted(rows, key=lambda row: (-row[1], row[0]))
    cutoff = nowMs - pruneAfterMs
    kept = [key for key, updatedAt in newestFirst if updatedAt >= cutoff]
    stale = [key for key, updatedAt in newestFirst if updatedAt < cutoff]
    return stale + kept[max(0, maxEntries):]


def last_daily_reset(nowMs: int, atHour: int, tz: datetime.tzinfo | None = None) -> int:
    """The most recent C{atHour}:00 (local time, or C{tz}) at or before C{nowMs}, in epoch ms."""
    now = datetime.datetime.fromtimestamp(nowMs / 1000, tz).astimezone(tz)
    boundary = now.replace(hour=atHour, minute=0, second=0, microsecond=0)
    if boundary > now:
        boundary -= datetime.timedelta(days=1)
    return int(boundary.timestamp() * 1000)


def is_stale(entry: Any, policy: Any, nowMs: int, tz: datetime.tzinfo | None = None) -> bool:
    """
    Whether C{entry} (a L{SessionEntry}) should be reset before its next run under
    C{policy} (C{ResetPolicy(mode, atHour, idleMinutes)}), at C{nowMs} (epoch ms,
    like the entry's times). C{daily}: the session was last updated before the
    latest C{atHour} boundary (also C{idleMinutes} when set); C{idle}: not
    updated for C{idleMinutes}.
    """
    idle = policy.idleMinutes is not None and nowMs - entry.updatedAt > policy.idleMinutes * 60_000
    if policy.mode == "daily":
        return entry.updatedAt < last_daily_reset(nowMs, policy.atHour, tz) or idle
    if policy.mode == "idle":
        return idle
    return False
