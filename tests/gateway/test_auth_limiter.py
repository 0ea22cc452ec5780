"""The failed-auth limiter on a Clock."""

from __future__ import annotations

from twisted.internet.task import Clock

from openclaw.gateway.auth import FailureLimiter, secret_matches
from openclaw.gateway.settings import RateLimit


def test_delays_escalate_to_five_seconds_and_reset_on_success():
    limiter = FailureLimiter(Clock(), RateLimit())
    assert [limiter.failed("127.0.0.1", "token") for _ in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    limiter.succeeded("127.0.0.1", "token")
    assert limiter.failed("127.0.0.1", "token") == 0.25


def test_loopback_is_never_locked_out():
    limiter = FailureLimiter(Clock(), RateLimit())
    for _ in range(50):
        limiter.failed("::1", "token")
    assert limiter.lockedForMs("::1", "token") == 0


def test_remote_lockout_after_ten_failures_in_a_minute():
    clock = Clock()
    limiter = FailureLimiter(clock, RateLimit())
    for _ in range(9):
        limiter.failed("203.0.113.5", "token")
        clock.advance(1)
    assert limiter.lockedForMs("203.0.113.5", "token") == 0
    limiter.failed("203.0.113.5", "token")
    assert limiter.lockedForMs("203.0.113.5", "token") == 300_000
    assert limiter.lockedForMs("203.0.113.5", "password") == 0  # per credential class
    clock.advance(300)
    assert limiter.lockedForMs("203.0.113.5", "token") == 0


def test_failures_outside_the_window_do_not_count():
    clock = Clock()
    limiter = FailureLimiter(clock, RateLimit(maxAttempts=3, windowMs=10_000))
    for _ in range(5):
        limiter.failed("203.0.113.5", "token")
        clock.advance(6)
    assert limiter.lockedForMs("203.0.113.5", "token") == 0


def test_exempt_loopback_can_be_turned_off():
    limiter = FailureLimiter(Clock(), RateLimit(maxAttempts=2, exemptLoopback=False))
    limiter.failed("127.0.0.1", "token")
    limiter.failed("127.0.0.1", "token")
    assert limiter.lockedForMs("127.0.0.1", "token") > 0


def test_secret_comparison():
    assert secret_matches("abc", "abc")
    assert not secret_matches("abc", "abd")
    assert not secret_matches("", "")
    assert not secret_matches("abc", None)
