"""Upkeep decisions: which sessions maintenance prunes, and when a reset policy makes a session stale."""

from __future__ import annotations

import datetime

from openclaw.agents.sessions.entry import SessionEntry
from openclaw.agents.sessions.maintenance import is_stale, last_daily_reset, prune_keys
from openclaw.agents.settings import ResetPolicy

UTC = datetime.timezone.utc
HOUR = 3600_000


def at(text: str) -> int:
    return int(datetime.datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def entry(updatedAt: int) -> SessionEntry:
    return SessionEntry("agent:main:main", "main", "sid", createdAt=0, sessionStartedAt=0, updatedAt=updatedAt)


def test_prune_removes_stale_sessions_then_the_oldest_beyond_the_cap():
    rows = [("a", 10 * HOUR), ("b", 9 * HOUR), ("c", 8 * HOUR), ("old", 1 * HOUR)]
    assert prune_keys(rows, 11 * HOUR, pruneAfterMs=5 * HOUR, maxEntries=10) == ["old"]
    assert prune_keys(rows, 11 * HOUR, pruneAfterMs=5 * HOUR, maxEntries=2) == ["old", "c"]
    assert prune_keys(rows, 11 * HOUR, pruneAfterMs=100 * HOUR, maxEntries=3) == ["old"]
    assert prune_keys([], 0, 1, 1) == []


def test_the_daily_boundary_is_the_last_at_hour_in_the_time_zone():
    assert last_daily_reset(at("2026-12-07T05:00:00"), 4, UTC) == at("2026-12-07T04:00:00")
    assert last_daily_reset(at("2026-12-07T03:59:59"), 4, UTC) == at("2026-12-06T04:00:00")
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    assert last_daily_reset(at("2026-12-07T03:00:00"), 4, plus2) == at("2026-12-07T02:00:00")


def test_daily_resets_sessions_last_updated_before_the_boundary():
    daily = ResetPolicy(mode="daily", atHour=4)
    now = at("2026-12-07T10:00:00")
    assert is_stale(entry(at("2026-12-07T03:59:00")), daily, now, UTC)
    assert not is_stale(entry(at("2026-12-07T04:01:00")), daily, now, UTC)
    both = ResetPolicy(mode="daily", atHour=4, idleMinutes=60)
    assert is_stale(entry(at("2026-12-07T08:59:00")), both, now, UTC)


def test_idle_resets_sessions_quiet_for_longer_than_idle_minutes():
    idle = ResetPolicy(mode="idle", idleMinutes=30)
    now = at("2026-12-07T10:00:00")
    assert is_stale(entry(at("2026-12-07T09:29:00")), idle, now)
    assert not is_stale(entry(at("2026-12-07T09:31:00")), idle, now)
    assert not is_stale(entry(0), ResetPolicy(), now)
