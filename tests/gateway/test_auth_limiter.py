"""The failed-auth limiter on a Clock."""

from __future__ import annotations

from twisted.internet.task import Clock

from openclaw.gateway.auth import Client, FailureLimiter, is_direct_local, secret_matches
from openclaw.settings import RateLimit


LOCAL = Client.of("127.0.0.1", None)
LOCAL6 = Client.of("::1", None)
REMOTE = Client.of("203.0.113.5", None)


def test_delays_escalate_to_five_seconds_and_reset_on_success():
    limiter = FailureLimiter(Clock(), RateLimit())
    assert [limiter.failed(LOCAL, "token") for _ in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    limiter.succeeded(LOCAL, "token")
    assert limiter.failed(LOCAL, "token") == 0.25


def test_loopback_is_never_locked_out():
    limiter = FailureLimiter(Clock(), RateLimit())
    for _ in range(50):
        limiter.failed(LOCAL6, "token")
    assert limiter.lockedForMs(LOCAL6, "token") == 0


def test_remote_lockout_after_ten_failures_in_a_minute():
    clock = Clock()
    limiter = FailureLimiter(clock, RateLimit())
    for _ in range(9):
        limiter.failed(REMOTE, "token")
        clock.advance(1)
    assert limiter.lockedForMs(REMOTE, "token") == 0
    limiter.failed(REMOTE, "token")
    assert limiter.lockedForMs(REMOTE, "token") == 300_000
    assert limiter.lockedForMs(REMOTE, "password") == 0  # per credential class
    clock.advance(300)
    assert limiter.lockedForMs(REMOTE, "token") == 0


def test_failures_outside_the_window_do_not_count():
    clock = Clock()
    limiter = FailureLimiter(clock, RateLimit(maxAttempts=3, windowMs=10_000))
    for _ in range(5):
        limiter.failed(REMOTE, "token")
        clock.advance(6)
    assert limiter.lockedForMs(REMOTE, "token") == 0


def test_exempt_loopback_can_be_turned_off():
    limiter = FailureLimiter(Clock(), RateLimit(maxAttempts=2, exemptLoopback=False))
    limiter.failed(LOCAL, "token")
    limiter.failed(LOCAL, "token")
    assert limiter.lockedForMs(LOCAL, "token") > 0


def test_secret_comparison():
    assert secret_matches("abc", "abc")
    assert not secret_matches("abc", "abd")
    assert not secret_matches("", "")
    assert not secret_matches("abc", None)


def test_browser_origins_on_loopback_are_counted_per_origin_and_never_exempt():
    limiter = FailureLimiter(Clock(), RateLimit(maxAttempts=2))
    page = Client.of("127.0.0.1", "http://localhost:5173")
    assert page == Client("browser-origin:http://localhost:5173", False)
    limiter.failed(page, "token")
    limiter.failed(page, "token")
    assert limiter.lockedForMs(page, "token") > 0
    assert limiter.lockedForMs(LOCAL, "token") == 0


def test_direct_local():
    assert is_direct_local("127.0.0.1", ["host", "upgrade"])
    assert is_direct_local("::1", [])
    assert not is_direct_local("10.0.0.1", [])
    for header in ("x-forwarded-for", "x-forwarded-port", "forwarded", "x-real-ip", "tailscale-user-login"):
        assert not is_direct_local("127.0.0.1", [header])
