"""The restart ladder and the account runner on a hand-driven Clock: delays, jitter, give-up, stable reset, health."""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.logger import capturedLogs, formatEvent

from openclaw.channels.ladder import RestartLadder
from openclaw.channels.runner import AccountRunner, TerminalError
from openclaw.channels.settings import AccountSettings


def test_ladder_doubles_from_five_seconds_with_jitter_and_cap():
    ladder = RestartLadder(random=lambda: 0.5)  # no jitter
    assert [ladder.next(1) for _ in range(10)] == [5, 10, 20, 40, 80, 160, 300, 300, 300, 300]
    assert ladder.next(1) is None  # given up after 10
    assert RestartLadder(random=lambda: 1.0).next(0) == 5.5
    assert RestartLadder(random=lambda: 0.0).next(0) == 4.5


def test_a_stable_run_resets_the_ladder():
    ladder = RestartLadder(random=lambda: 0.5)
    for _ in range(4):
        ladder.next(10)
    assert ladder.next(299) == 80
    assert ladder.next(300) == 5 and ladder.attempts == 1


class Flaky:
    """A transport whose sessions the test ends by hand."""

    def __init__(self):
        self.sessions: list[Deferred] = []

    def run(self, events):
        self.events = events
        self.sessions.append(Deferred())
        return self.sessions[-1]

    def stop(self):
        self.sessions[-1].callback(None)

    def describe(self):
        return {"mode": "test"}


def _runner(transport, clock):
    return AccountRunner(AccountSettings("irc", "default", True, config=object()), transport, clock, None,
                         ladder=RestartLadder(random=lambda: 0.5))


def test_a_failing_account_restarts_by_the_ladder_then_gives_up():
    clock, transport = Clock(), Flaky()
    runner = _runner(transport, clock)
    runner.startService()
    assert runner.snapshot()["healthState"] == "startup-connect-grace"
    with capturedLogs() as events:
        for attempt in range(1, 11):
            transport.sessions[-1].errback(ConnectionRefusedError("refused"))
            assert not runner.state["running"] and runner.state["reconnectAttempts"] == attempt
            clock.advance(min(300, 5 * 2 ** (attempt - 1)))
            assert len(transport.sessions) == attempt + 1
        transport.sessions[-1].errback(ConnectionRefusedError("refused"))
    lines = [formatEvent(e) for e in events]
    assert lines[0].startswith("[irc:default] auto-restart attempt 1/10 in 5.0s")
    assert lines[-1] == "[irc:default] giving up after 10 restart attempts"
    assert runner.healthState() == "not-running" and not runner.healthy()
    clock.advance(10_000)
    assert len(transport.sessions) == 11


def test_health_states_follow_the_connection():
    clock, transport = Clock(), Flaky()
    clock.advance(1000)
    runner = _runner(transport, clock)
    runner.startService()
    clock.advance(121)
    assert runner.healthState() == "disconnected"
    runner.connected()
    assert runner.healthState() == "healthy"
    runner.runStarted()
    assert runner.healthState() == "busy"
    runner.runEnded()
    clock.advance(31 * 60)
    assert runner.healthState() == "stale-socket"
    runner.activity()
    runner.disconnected("lost")
    assert runner.healthState() == "reconnect-grace"
    clock.advance(121)
    assert runner.healthState() == "disconnected"


def test_a_terminal_failure_is_not_retried_and_stop_waits_for_the_session():
    clock, transport = Clock(), Flaky()
    runner = _runner(transport, clock)
    runner.startService()
    transport.sessions[-1].errback(TerminalError("getMe returned 401"))
    assert runner.healthState() == "terminal-disconnect" and runner.state["lastError"] == "getMe returned 401"
    clock.advance(1000)
    assert len(transport.sessions) == 1
    runner.startService()  # an explicit start tries again
    assert len(transport.sessions) == 2 and runner.healthState() == "startup-connect-grace"
    stopped = runner.stopService()
    assert stopped.called and runner.state["running"] is False


def test_a_session_that_ignores_stop_is_given_five_seconds():
    clock = Clock()
    hung = Flaky()
    hung.stop = lambda: None
    runner = _runner(hung, clock)
    runner.startService()
    stopped = runner.stopService()
    assert not stopped.called
    clock.advance(5)
    assert stopped.called


def test_an_unconfigured_account_is_unmanaged():
    runner = AccountRunner(AccountSettings("irc", "default", True, problem="missing host or nick"), None, Clock(), None)
    runner.startService()
    snap = runner.snapshot()
    assert snap["healthState"] == "unmanaged" and snap["configured"] is False
    assert snap["lastError"] == "missing host or nick" and runner.healthy()
    assert runner.probe(8).result == {"ok": False, "error": "missing host or nick"}
