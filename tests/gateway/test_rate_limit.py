"""Failed-auth lock-out over the wire, and HTTP Bearer guesses counted by the same limiter."""

from __future__ import annotations

import json

import pytest
import pytest_twisted
import treq

from tests.conftest import TOKEN, local_config


@pytest.fixture
def gateway_config(tmp_path):
    ui = tmp_path / "ui"
    ui.mkdir()
    (ui / "index.html").write_text("<!doctype html><html></html>")
    config = local_config(controlUi={"root": str(ui)})
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


@pytest_twisted.ensureDeferred
async def test_a_locked_out_bearer_gets_429_with_retry_after(gateway):
    url = gateway.http + "/control-ui-config.json"
    for _ in range(2):
        r = await treq.get(url, headers={"Authorization": "Bearer nope"}, persistent=False)
        assert r.code == 401
        assert json.loads(await r.content()) == {"error": {"message": "Unauthorized", "type": "unauthorized"}}
    r = await treq.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, persistent=False)
    assert r.code == 429 and 0 < int(r.headers.getRawHeaders("retry-after")[0]) <= 300
    assert json.loads(await r.content()) == {
        "error": {"message": "Too many failed authentication attempts. Please try again later.", "type": "rate_limited"}
    }
    rejected = await gateway.rejected(token=TOKEN)  # one limiter for HTTP and WebSocket
    assert rejected.details["code"] == "AUTH_RATE_LIMITED"
