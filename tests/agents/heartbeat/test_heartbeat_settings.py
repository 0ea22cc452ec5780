"""The heartbeat settings (defaults and per agent, active hours) and how a reply and a checklist are judged."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from openclaw.agents.heartbeat import classify, has_tasks
from openclaw.agents.settings import (
    DEFAULT_HEARTBEAT_PROMPT,
    ActiveHours,
    AgentConfigError,
    AgentsSettings,
)


def agents(**section) -> AgentsSettings:
    return AgentsSettings.fromConfig({"agents": section})


def test_without_config_the_default_agent_beats_every_30_minutes():
    settings = agents()
    beat = settings.heartbeatFor("main")
    assert (beat.every, beat.everyMs, beat.target, beat.ackMaxChars) == ("30m", 1_800_000, "owner", 300)
    assert beat.promptText == DEFAULT_HEARTBEAT_PROMPT and settings.heartbeatScheduled("main")


def test_agents_with_their_own_heartbeat_are_the_only_ones_on_the_timer():
    settings = agents(
        defaults={"heartbeat": {"every": "1h", "ackMaxChars": 50, "prompt": "Check in."}},
        list=[{"id": "main", "default": True}, {"id": "ops", "heartbeat": {"every": "15m", "target": "telegram",
                                                                           "to": "12345"}}],
    )
    assert not settings.heartbeatScheduled("main") and settings.heartbeatScheduled("ops")
    ops = settings.heartbeatFor("ops")
    assert (ops.everyMs, ops.ackMaxChars, ops.prompt, ops.target, ops.to) == (900_000, 50, "Check in.", "telegram", "12345")
    assert settings.heartbeatFor("main").everyMs == 3_600_000
    assert not agents(defaults={"heartbeat": {"every": "0m"}}).heartbeatFor("main").everyMs


@pytest.mark.parametrize("heartbeat, message", [
    ({"every": "often"}, "agents.defaults.heartbeat.every must be a duration"),
    ({"every": 30}, "agents.defaults.heartbeat.every must be a duration"),
    ({"ackMaxChars": -1}, "agents.defaults.heartbeat.ackMaxChars must be a whole number at least 0"),
    ({"target": ""}, "agents.defaults.heartbeat.target must be a non-empty string"),
    ({"activeHours": {"start": "8", "end": "20:00"}}, "activeHours.start must be a time of day"),
    ({"activeHours": {"start": "24:00", "end": "20:00"}}, "activeHours.start must be a time of day"),
    ({"activeHours": {"start": "08:00", "end": "25:00"}}, "activeHours.end must be a time of day"),
    ({"activeHours": {"start": "08:00", "end": "08:00"}}, "start and end must differ"),
    ({"activeHours": {"start": "08:00", "end": "20:00", "timezone": "Mars/Olympus"}}, "IANA time zone"),
])
def test_bad_heartbeat_settings_name_their_path(heartbeat, message):
    with pytest.raises(AgentConfigError) as caught:
        agents(defaults={"heartbeat": heartbeat})
    assert message in str(caught.value)


def _at(hour: int, minute: int = 0) -> float:
    return datetime(2026, 12, 7, hour, minute, tzinfo=timezone.utc).timestamp()


def test_active_hours_in_a_zone_and_across_midnight():
    day = ActiveHours(8 * 60, 20 * 60, "Europe/Berlin")  # UTC+1 in December
    assert day.contains(_at(7)) and not day.contains(_at(6, 59)) and not day.contains(_at(19))
    night = ActiveHours(22 * 60, 6 * 60, "UTC")
    assert night.contains(_at(23)) and night.contains(_at(5, 59)) and not night.contains(_at(6)) and not night.contains(_at(12))
    untilMidnight = ActiveHours(20 * 60, 24 * 60, "UTC")
    assert untilMidnight.contains(_at(23, 59)) and not untilMidnight.contains(_at(0))


@pytest.mark.parametrize("reply, expected", [
    ("", ("ok-empty", "")),
    ("  NO_REPLY ", ("ok-empty", "")),
    ("HEARTBEAT_OK", ("ok-token", "")),
    ("**HEARTBEAT_OK**", ("ok-token", "")),
    ("All quiet. HEARTBEAT_OK", ("ok-token", "All quiet.")),
    ("HEARTBEAT_OK " + "x" * 11, ("sent", "x" * 11)),
    ("The backup failed at 03:00.", ("sent", "The backup failed at 03:00.")),
])
def test_replies_are_judged_by_the_token_and_ack_max_chars(reply, expected):
    assert classify(reply, 10) == expected


def test_a_checklist_counts_only_when_it_lists_something():
    assert not has_tasks(None) and not has_tasks("") and not has_tasks("# Heartbeat\n\n## Daily\n- \n* [ ]\n")
    assert not has_tasks("<!--\n- commented out\n-->\n")
    assert has_tasks("# Heartbeat\n- [ ] check the mailbox\n") and has_tasks("Look at the logs.")
