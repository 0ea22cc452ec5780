"""
Shared-secret checks and the failed-auth limiter.

Failures are keyed by client IP and credential class. Each consecutive failure
delays the reply (250 ms doubling up to 5 s); a non-exempt client that fails
C{maxAttempts} times within C{windowMs} is locked out for C{lockoutMs}. Loopback
peers are exempt from lock-out by default, never from the delay.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from twisted.internet.interfaces import IReactorTime

from openclaw.gateway.bindhost import is_loopback
from openclaw.gateway.settings import RateLimit

_MAX_BUCKETS = 10_000
_FIRST_DELAY = 0.25
_MAX_DELAY = 5.0


def secret_matches(presented: str | None, expected: str | None) -> bool:
    if not presented or not expected:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


@dataclass
class _Bucket:
    failures: deque = field(default_factory=deque)
    consecutive: int = 0
    lockedUntil: float = 0.0


class FailureLimiter:
    def __init__(self, clock: IReactorTime, policy: RateLimit) -> None:
        self._clock = clock
        self.policy = policy
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def _exempt(self, ip: str) -> bool:
        return self.policy.exemptLoopback and is_loopback(ip)

    def lockedForMs(self, ip: str, credential: str) -> int:
        """Milliseconds left of a lock-out, 0 when the client may try."""
        bucket = self._buckets.get((ip, credential))
        if bucket is None or self._exempt(ip):
            return 0
        left = bucket.lockedUntil - self._clock.seconds()
        return max(0, int(left * 1000 + 0.999))

    def failed(self, ip: str, credential: str) -> float:
        """Record a wrong credential; returns the seconds to wait before answering."""
        key = (ip, credential)
        bucket = self._buckets.pop(key, None) or _Bucket()
        self._buckets[key] = bucket
        while len(self._buckets) > _MAX_BUCKETS:
            self._buckets.popitem(last=False)
        now = self._clock.seconds()
        window = self.policy.windowMs / 1000
        while bucket.failures and bucket.failures[0] <= now - window:
            bucket.failures.popleft()
        if not bucket.failures:
            bucket.consecutive = 0
        bucket.failures.append(now)
        bucket.consecutive += 1
        if not self._exempt(ip) and len(bucket.failures) >= self.policy.maxAttempts:
            bucket.lockedUntil = now + self.policy.lockoutMs / 1000
            bucket.failures.clear()
        return min(_MAX_DELAY, _FIRST_DELAY * 2 ** (bucket.consecutive - 1))

    def succeeded(self, ip: str, credential: str) -> None:
        self._buckets.pop((ip, credential), None)
