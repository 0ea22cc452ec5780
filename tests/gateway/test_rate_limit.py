"""Failed-auth lock-out over the wire, and HTTP Bearer guesses counted by the same limiter."""

from __future__ import annotations

import json

import pytest
import pytest_twisted
import treq

from tests.conftest import TOKEN, local_config


@pytest.fixture
def gateway_config():
    config = local_config()
    config["gateway"]["auth"]["rateLimit"] = {"maxAttempts": 2, "exemptLoopback": False}
    return config


@pytest_twisted.ensureDeferred
async def test_lockout_after_max_attempts(gateway):
    for _ in range(2):
        assert (await gateway.rejected(token="wrong")).details["code"] == "AUTH_TOKEN_MISMATCH"
    locked = await gateway.rejected(token=TOKEN)  # even the right token waits out the lock
    assert locked.code == "INVALID_REQUEST"
    assert locked.message == "unauthorized: too many failed authentication attempts (retry later)"
    assert locked.details == {
        "code": "AUTH_RATE_LIMITED", "authReason": "rate_limited", "recommendedNextStep": "wait_then_retry",
    }
    assert locked.error["retryable"] is True and 0 < locked.error["retryAfterMs"] <= 300_000
    assert locked.closeCode == 1008


@pytest_twisted.ensureDeferred
async def test_wrong_bearer_on_probes_counts_too(gateway):
    headers = {"X-Forwarded-For": "203.0.113.7"}  # not direct-local: details need the token
    for _ in range(2):
        r = await treq.get(gateway.http + "/readyz", headers=dict(headers, Authorization="Bearer nope"), persistent=False)
        assert json.loads(await r.content()) == {"ready": True}
    r = await treq.get(gateway.http + "/readyz", headers=dict(headers, Authorization=f"Bearer {TOKEN}"), persistent=False)
    assert json.loads(await r.content()) == {"ready": True}  # locked out: no details even with the token
