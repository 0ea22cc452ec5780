"""
Shared-secret checks, the direct-local test, and the failed-auth limiter.

Failures are keyed by client (its IP, or C{browser-origin:<origin>} for a browser on
loopback) and credential class. Each consecutive failure delays the reply (250 ms
doubling up to 5 s); a non-exempt client that fails C{maxAttempts} times within
C{windowMs} is locked out for C{lockoutMs}. Loopback peers are exempt from lock-out by
default (browser origins never are), never from the delay.
"""

from __future__ import annotations

import hmac
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from twisted.internet.interfaces import IReactorTime

from openclaw.bindhost import is_loopback
from openclaw.settings import RateLimit

_MAX_BUCKETS = 10_000
_FIRST_DELAY = 0.25
_MAX_DELAY = 5.0


_TAILSCALE_HEADERS = frozenset({"tailscale-user-login", "tailscale-user-name", "tailscale-user-profile-pic"})


def is_direct_local(peerIp: str, headerNames) -> bool:
    """
    A loopback peer whose request carries no proxy or Tailscale identity headers
    (C{headerNames} lower-case). The Host header plays no part.
    """
    if not is_loopback(peerIp):
        return False
    for name in headerNames:
        if name in ("forwarded", "x-real-ip") or name.startswith("x-forwarded-") or name in _TAILSCALE_HEADERS:
            return False
    return True


@dataclass(frozen=True)
class Client:
    """Who the limiter counts: a key and whether loopback exemption applies."""

    key: str
    exemptable: bool

    @classmethod
    def of(cls, peerIp: str, origin: str | None) -> "Client":
        if origin and is_loopback(peerIp):
            return cls(f"browser-origin:{origin}", False)
        return cls(peerIp, origin is None and is_loopback(peerIp))


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

    def _exempt(self, client: Client) -> bool:
        return self.policy.exemptLoopback and client.exemptable

    def lockedForMs(self, client: Client, credential: str) -> int:
        """Milliseconds left of a lock-out, 0 when the client may try."""
        bucket = self._buckets.get((client.key, credential))
        if bucket is None or self._exempt(client):
            return 0
        left = bucket.lockedUntil - self._clock.seconds()
        return max(0, int(left * 1000 + 0.999))

    def failed(self, client: Client, credential: str) -> float:
        """Record a wrong credential; returns the seconds to wait before answering."""
        key = (client.key, credential)
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
        if not self._exempt(client) and len(bucket.failures) >= self.policy.maxAttempts:
            bucket.lockedUntil = now + self.policy.lockoutMs / 1000
            bucket.failures.clear()
        return min(_MAX_DELAY, _FIRST_DELAY * 2 ** (bucket.consecutive - 1))

    def succeeded(self, client: Client, credential: str) -> None:
        self._buckets.pop((client.key, credential), None)
