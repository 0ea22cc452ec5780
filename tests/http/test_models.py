"""GET /v1/models[/{id}], the disabled answer, methods, auth and the failed-auth limiter on the /v1 routes."""

from __future__ import annotations

import json

import openai
import pytest
import pytest_twisted
import treq

from tests.conftest import TOKEN
from tests.http.conftest import in_thread, sdk

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def extra_config() -> dict:
    return {"agents": {"list": [{"id": "main", "default": True}, {"id": "research"}]}}


async def call(gateway, method: str, path: str, headers=None, body=None):
    response = await treq.request(method, gateway.http + path, headers=headers, data=body, persistent=False)
    return response, await response.content()


@pytest_twisted.ensureDeferred
async def test_models_list_the_agent_targets(gateway, reactor):
    page = await in_thread(reactor, sdk(gateway).models.list)
    assert [m.id for m in page.data] == ["openclaw", "openclaw/default", "openclaw/main", "openclaw/research"]
    assert all(m.object == "model" and m.owned_by == "openclaw" and m.created == 0 for m in page.data)


@pytest_twisted.ensureDeferred
async def test_a_model_by_its_encoded_id(gateway, reactor):
    model = await in_thread(reactor, sdk(gateway).models.retrieve, "openclaw/research")
    assert model.id == "openclaw/research"
    response, body = await call(gateway, "GET", "/v1/models/openclaw%2Fdefault", AUTH)
    assert response.code == 200 and json.loads(body)["id"] == "openclaw/default"


@pytest.mark.parametrize("path, status, message", [
    ("/v1/models/", 400, "Missing model id."),
    ("/v1/models/openclaw%2", 400, "Invalid model id encoding."),
    ("/v1/models/gpt-4o", 400, "Invalid model id."),
    ("/v1/models/openclaw%2Fnobody", 404, "Model 'openclaw/nobody' not found."),
])
@pytest_twisted.ensureDeferred
async def test_model_lookup_errors(gateway, path, status, message):
    response, body = await call(gateway, "GET", path, AUTH)
    assert response.code == status
    assert json.loads(body) == {"error": {"message": message, "type": "invalid_request_error"}}


@pytest_twisted.ensureDeferred
async def test_an_unknown_model_is_the_sdks_not_found(gateway, reactor):
    with pytest.raises(openai.NotFoundError):
        await in_thread(reactor, sdk(gateway).models.retrieve, "openclaw/nobody")


@pytest.mark.parametrize("method, path, allow", [
    ("POST", "/v1/models", "GET"), ("DELETE", "/v1/models/openclaw", "GET"), ("GET", "/v1/chat/completions", "POST"),
])
@pytest_twisted.ensureDeferred
async def test_a_wrong_method_is_a_405_with_allow(gateway, method, path, allow):
    response, body = await call(gateway, method, path, AUTH)
    assert response.code == 405 and body == b"Method Not Allowed"
    assert response.headers.getRawHeaders("allow") == [allow]


@pytest_twisted.ensureDeferred
async def test_no_token_is_a_401_with_the_json_shape(gateway):
    response, body = await call(gateway, "GET", "/v1/models")
    assert response.code == 401
    assert json.loads(body) == {"error": {"message": "Unauthorized", "type": "unauthorized"}}
    assert response.headers.getRawHeaders("x-content-type-options") == ["nosniff"]


class TestLimiter:
    @pytest.fixture
    def extra_config(self) -> dict:
        return {"gateway": {"mode": "local", "auth": {"token": TOKEN, "rateLimit": {"maxAttempts": 2, "exemptLoopback": False}}}}

    @pytest_twisted.ensureDeferred
    async def test_repeated_wrong_tokens_lock_the_client_out_with_429(self, gateway, reactor):
        client = sdk(gateway, token="wrong")
        for _ in range(2):
            with pytest.raises(openai.AuthenticationError):
                await in_thread(reactor, client.models.list)
        with pytest.raises(openai.RateLimitError) as caught:
            await in_thread(reactor, sdk(gateway).models.list)  # even the right token, while locked out
        assert int(caught.value.response.headers["retry-after"]) > 0
        assert caught.value.body["type"] == "rate_limited"


class TestDisabled:
    @pytest.fixture
    def http_config(self) -> dict:
        return {"endpoints": {"chatCompletions": {"enabled": False}}}

    @pytest.mark.parametrize("method, path, key", [
        ("GET", "/v1/models", "gateway.http.endpoints.chatCompletions.enabled"),
        ("POST", "/v1/chat/completions", "gateway.http.endpoints.chatCompletions.enabled"),
    ])
    @pytest_twisted.ensureDeferred
    async def test_a_disabled_endpoint_is_a_404_naming_its_key(self, gateway, method, path, key):
        response, body = await call(gateway, method, path, AUTH, b"{}")
        assert response.code == 404
        error = json.loads(body)["error"]
        assert error["type"] == "not_found" and error["configKey"] == key and key in error["message"]

    @pytest_twisted.ensureDeferred
    async def test_the_sdk_sees_not_found(self, gateway, reactor):
        with pytest.raises(openai.NotFoundError) as caught:
            await in_thread(reactor, sdk(gateway).chat.completions.create, model="openclaw",
                            messages=[{"role": "user", "content": "hi"}])
        assert "gateway.http.endpoints.chatCompletions.enabled" in caught.value.message


ADMIN = ["operator.admin", "operator.read", "operator.write"]


@pytest_twisted.ensureDeferred
async def test_toggles_and_the_hsts_header_apply_without_a_restart(gateway):
    response, _ = await call(gateway, "GET", "/v1/models", AUTH)
    assert response.code == 200 and response.headers.getRawHeaders("strict-transport-security") is None
    admin = await gateway.connect(scopes=ADMIN)
    base = (await admin.call("config.get"))["hash"]
    patch = {"gateway": {"http": {"endpoints": {"chatCompletions": {"enabled": False}, "responses": {"enabled": False}},
                                  "securityHeaders": {"strictTransportSecurity": "max-age=600"}}}}
    await admin.call("config.patch", {"raw": json.dumps(patch), "baseHash": base})
    await gateway.service.reload.settled()
    response, body = await call(gateway, "GET", "/v1/models", AUTH)
    assert response.code == 404 and json.loads(body)["error"]["type"] == "not_found"
    assert response.headers.getRawHeaders("strict-transport-security") == ["max-age=600"]
    assert (await admin.call("health"))["ok"] is True  # the same connection: no restart happened
