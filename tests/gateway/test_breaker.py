"""
The crash-loop breaker on a hand-driven Clock: which boots count, tripping,
suppressed auto-start, an explicit start, and recovery. (Real processes killed with
SIGKILL: tests/e2e/test_breaker.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from twisted.internet.task import Clock
from twisted.logger import capturedLogs

from openclaw.boots import Boot, BootHistory
from openclaw.channels import channel
from openclaw.channels.manager import ChannelManager
from openclaw.channels.runner import AccountRunner
from openclaw.channels.settings import AccountSettings
from openclaw.gateway.breaker import CrashLoopBreaker


class Channel(channel.Channel):
    """A channel with one account and no transport (nothing connects)."""

    def __init__(self, channelId: str) -> None:
        super().__init__(channelId, "default", Clock())
        AccountRunner(AccountSettings(channelId, "default", True), None, Clock(), None).setServiceParent(self)


def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.advance(10_000)
    return clock


@pytest.fixture
def channels() -> ChannelManager:
    manager = ChannelManager()
    for cid in ("irc", "telegram"):
        Channel(cid).setServiceParent(manager)
    return manager


def _history(tmp_path, *boots: Boot) -> BootHistory:
    history = BootHistory(str(tmp_path))
    for boot in boots:
        history.begin(boot)
    return history


def _messages(events) -> list[str]:
    from twisted.logger import formatEvent

    return [formatEvent(e) for e in events]


def test_three_unclean_boots_within_five_minutes_trip_it(tmp_path, clock, channels):
    now = clock.seconds()
    pid = dead_pid()
    _history(tmp_path, *(Boot(f"b{i}", pid, now - 200 + i, "openclaw") for i in range(3)))
    breaker = CrashLoopBreaker(str(tmp_path), clock, reactor=None)
    with capturedLogs() as events:
        breaker.boot(channels)
        channels.startService()
    assert breaker.tripped
    assert [svc.running for svc in channels] == [False, False]
    lines = _messages(events)
    assert lines[0].startswith(
        "gateway restart-loop breaker tripped: 3 unclean boot(s) within 300000ms; "
        "suppressing channel/provider account auto-start."
    )
    assert lines[1:] == [
        "channel autostart suppressed by crash-loop breaker; refusing automatic start for irc. Start a channel "
        "manually with: openclaw gateway call channels.start --params '{\"channel\":\"irc\"}'",
        "channel autostart suppressed by crash-loop breaker; refusing automatic start for telegram. Start a channel "
        "manually with: openclaw gateway call channels.start --params '{\"channel\":\"telegram\"}'",
    ]
    # this boot is recorded too, not yet clean
    assert [b.bootId for b in breaker.history.read()][-1] == breaker.bootId


def test_an_explicit_start_overrides_for_that_channel_only(tmp_path, clock, channels):
    now = clock.seconds()
    pid = dead_pid()
    _history(tmp_path, *(Boot(f"b{i}", pid, now - 10, "openclaw") for i in range(3)))
    CrashLoopBreaker(str(tmp_path), clock, None).boot(channels)
    channels.startService()
    assert [svc.channelId for svc in channels.startChannel("telegram")] == ["telegram"]
    assert {svc.channelId: svc.running for svc in channels} == {"irc": False, "telegram": True}
    assert channels.startChannel("telegram") == []  # already running
    assert channels.startChannel("nope") == []
    assert channels.startChannel("irc", accountId="other") == []  # no such account


def test_recovery_once_the_window_holds_no_unclean_boot(tmp_path, clock, channels):
    now = clock.seconds()
    pid = dead_pid()
    _history(tmp_path, Boot("a", pid, now - 250, "openclaw"), Boot("b", pid, now - 100, "openclaw"), Boot("c", pid, now - 40, "openclaw"))
    breaker = CrashLoopBreaker(str(tmp_path), clock, None)
    breaker.boot(channels)
    channels.startService()
    clock.advance(259.9)  # the newest unclean boot leaves the window at now + 260
    assert breaker.tripped and not any(svc.running for svc in channels)
    with capturedLogs() as events:
        clock.advance(0.1)
    assert not breaker.tripped
    assert all(svc.running for svc in channels)
    assert _messages(events) == ["gateway restart-loop breaker recovered; channel auto-start restored"]


def test_a_new_channel_manager_after_an_in_process_restart_is_held_back_too(tmp_path, clock, channels):
    now = clock.seconds()
    pid = dead_pid()
    _history(tmp_path, *(Boot(f"b{i}", pid, now - 10, "openclaw") for i in range(3)))
    breaker = CrashLoopBreaker(str(tmp_path), clock, None)
    breaker.boot(channels)
    rebuilt = ChannelManager()
    Channel("irc").setServiceParent(rebuilt)
    breaker.guard(rebuilt)
    rebuilt.startService()
    assert not any(svc.running for svc in rebuilt)
    clock.advance(300)
    assert all(svc.running for svc in rebuilt)


def test_a_channel_added_to_a_running_suppressed_manager_waits(channels):
    channels.suppressAutoStart("start <id> by hand")
    channels.startService()
    with capturedLogs() as events:
        Channel("slack").setServiceParent(channels)
    assert not any(svc.running for svc in channels)
    assert "refusing automatic start for slack. Start a channel manually with: start slack by hand" in _messages(events)[0]
    channels.restoreAutoStart()
    assert all(svc.running for svc in channels)


@pytest.mark.parametrize(
    "boots",
    [
        pytest.param(lambda now, pid: [Boot(f"b{i}", pid, now - 10, "openclaw") for i in range(2)], id="only-two"),
        pytest.param(
            lambda now, pid: [Boot("old", pid, now - 301, "openclaw")] + [Boot(f"b{i}", pid, now - 10, "openclaw") for i in range(2)],
            id="one-outside-the-window",
        ),
        pytest.param(
            lambda now, pid: [Boot(f"b{i}", pid, now - 10, "openclaw", clean=True, endedAt=now - 5) for i in range(3)],
            id="clean-stops",
        ),
        pytest.param(
            lambda now, pid: [Boot("alive", os.getpid(), now - 10, "openclaw")] + [Boot(f"b{i}", pid, now - 10, "openclaw") for i in range(2)],
            id="one-still-running",
        ),
    ],
)
def test_what_does_not_trip_it(tmp_path, clock, channels, boots):
    _history(tmp_path, *boots(clock.seconds(), dead_pid()))
    breaker = CrashLoopBreaker(str(tmp_path), clock, None)
    breaker.boot(channels)
    channels.startService()
    assert not breaker.tripped
    assert all(svc.running for svc in channels)
    assert clock.getDelayedCalls() == []


def test_history_survives_garbage_and_keeps_the_last_twenty(tmp_path):
    history = BootHistory(str(tmp_path))
    os.makedirs(os.path.dirname(history.path))
    with open(history.path, "w") as f:
        f.write("{not json")
    assert history.read() == []
    for i in range(25):
        history.begin(Boot(str(i), 1, float(i), "openclaw"))
    assert [b.bootId for b in history.read()] == [str(i) for i in range(5, 25)]
    history.end("24", 99.0)
    assert history.read()[-1].clean and history.read()[-1].endedAt == 99.0
