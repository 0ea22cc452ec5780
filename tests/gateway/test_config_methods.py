"""config.get / set / patch / apply / schema and secrets.reload on an embedded gateway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import pytest_twisted

from openclaw.cli.client import GatewayCallError
from openclaw.config.secrets import REDACTED
from tests.conftest import TOKEN, config_text, local_config

NEW_TOKEN = "rotated-token-9876543210fedcba9876543210"
ADMIN = ["operator.admin"]


async def _fails(client, method: str, params=None) -> GatewayCallError:
    with pytest.raises(GatewayCallError) as caught:
        await client.call(method, params)
    return caught.value


def _config_text(environ) -> str:
    return Path(environ["OPENCLAW_CONFIG_PATH"]).read_text()


@pytest_twisted.ensureDeferred
async def test_config_get_redacts_secrets_and_names_the_file(gateway, environ):
    client = await gateway.connect(scopes=["operator.read"])
    got = await client.call("config.get")
    raw = _config_text(environ)
    assert got["path"] == environ["OPENCLAW_CONFIG_PATH"] and got["exists"] is True and got["valid"] is True
    # a keyed revision, not a digest a read-only client could test token guesses against
    assert got["hash"].startswith("hmac-sha256:v1:") and len(got["hash"]) == len("hmac-sha256:v1:") + 64
    assert __import__("hashlib").sha256(raw.encode()).hexdigest() not in json.dumps(got)
    assert got["appliedConfigHash"] == got["hash"]  # the file on disk is the one running
    assert (await client.call("config.get"))["hash"] == got["hash"]
    assert got["config"]["gateway"]["auth"]["token"] == REDACTED
    assert got["parsed"]["gateway"]["auth"]["token"] == REDACTED
    assert TOKEN not in json.dumps(got) and REDACTED in got["raw"]


@pytest_twisted.ensureDeferred
async def test_config_get_redacts_the_whole_credential_surface(gateway, environ):
    """Headers and service accounts are secrets whatever their key names (config, parsed and raw)."""
    header, privateKey, email = "Bearer hdr-secret-123", "-----BEGIN PRIVATE KEY-----\nkey-secret\n", "bot@sa.example"
    config = {
        **local_config(),
        "models": {"providers": {"o": {"baseUrl": "http://127.0.0.1:9/v1", "headers": {"Authorization": header}}}},
        "channels": {"googlechat": {"enabled": False, "serviceAccount": {"private_key": privateKey, "client_email": email}}},
    }
    admin = await gateway.connect(scopes=ADMIN)
    await admin.call("config.set", {"raw": config_text(environ, config)})
    await gateway.service.reload.settled()
    got = await (await gateway.connect(scopes=["operator.read"])).call("config.get")
    for view in ("config", "parsed"):
        assert got[view]["models"]["providers"]["o"]["headers"] == {"Authorization": REDACTED}
        assert got[view]["channels"]["googlechat"]["serviceAccount"] == {"private_key": REDACTED, "client_email": REDACTED}
    for secret in (header, privateKey, json.dumps(privateKey)[1:-1], email):
        assert secret not in json.dumps(got) and secret not in got["raw"]


@pytest_twisted.ensureDeferred
async def test_writes_need_admin(gateway):
    client = await gateway.connect(scopes=["operator.write"])
    for method in ("config.set", "config.patch", "config.apply", "secrets.reload"):
        error = await _fails(client, method, {"raw": "{}"} if method.startswith("config") else {})
        assert error.message == "missing scope: operator.admin"


@pytest_twisted.ensureDeferred
async def test_patch_needs_the_current_base_hash(gateway, environ):
    client = await gateway.connect(scopes=ADMIN)
    patch = json.dumps({"logging": {"level": "debug"}})
    assert (await _fails(client, "config.patch", {"raw": patch})).message == (
        "config base hash required; re-run config.get and retry"
    )
    error = await _fails(client, "config.patch", {"raw": patch, "baseHash": "0" * 64})
    assert error.message == "config changed since last load; re-run config.get and retry"
    before = _config_text(environ)
    base = (await client.call("config.get"))["hash"]
    result = await client.call("config.patch", {"raw": patch, "baseHash": base})
    assert result["ok"] is True and result["hash"] != base
    written = json.loads(_config_text(environ))
    assert written["logging"]["level"] == "debug" and written["gateway"] == json.loads(before)["gateway"]
    await gateway.service.reload.settled()
    assert gateway.service.logSink.settings.level == "debug"


@pytest_twisted.ensureDeferred
async def test_a_patch_that_rotates_the_token_applies_hot(gateway):
    client = await gateway.connect(scopes=ADMIN)
    base = (await client.call("config.get"))["hash"]
    await client.call("config.patch", {"raw": json.dumps({"gateway": {"auth": {"token": NEW_TOKEN}}}), "baseHash": base})
    await gateway.service.reload.settled()
    await gateway.connect(token=NEW_TOKEN)
    await gateway.rejected(token=TOKEN)
    assert (await client.call("health"))["ok"] is True


@pytest_twisted.ensureDeferred
async def test_invalid_writes_change_nothing(gateway, environ):
    client = await gateway.connect(scopes=ADMIN)
    before = _config_text(environ)
    base = (await client.call("config.get"))["hash"]
    cases = [
        ("config.set", "{ broken", "invalid config: "),
        ("config.set", json.dumps({"gateway": {"mode": "local", "port": "x"}}), "invalid config: gateway.port: expected integer"),
        ("config.apply", json.dumps({"gateway": {"mode": "local", "bind": "lan", "auth": {"mode": "none"}}}),
         "invalid config: Refusing to bind gateway to lan without auth"),
        ("config.apply", json.dumps({"gateway": {"mode": "local", "auth": {"token": {"source": "file", "provider": "x", "id": "/t"}}}}),
         "invalid config: Startup failed: required secrets are unavailable."),
        ("config.patch", json.dumps({"gateway": {"auth": {"token": REDACTED}}}), "invalid config: config contains the redaction placeholder"),
        ("config.patch", "[1]", "invalid config.patch raw: must be an object"),
    ]
    for method, raw, message in cases:
        error = await _fails(client, method, {"raw": raw, "baseHash": base})
        assert error.code == "INVALID_REQUEST" and error.message.startswith(message), (method, error.message)
    assert _config_text(environ) == before
    assert [p.name for p in Path(environ["OPENCLAW_CONFIG_PATH"]).parent.iterdir() if p.name.endswith(".tmp")] == []


@pytest_twisted.ensureDeferred
async def test_merge_patch_deletes_with_null_and_replace_paths(gateway, environ):
    client = await gateway.connect(scopes=ADMIN)
    base = (await client.call("config.get"))["hash"]
    await client.call("config.set", {"raw": config_text(environ, {**local_config(), "ui": {"a": 1, "b": {"c": 1, "d": 2}}}), "baseHash": base})
    base = (await client.call("config.get"))["hash"]
    patch = {"ui": {"a": None, "b": {"c": 3}}}
    await client.call("config.patch", {"raw": json.dumps(patch), "baseHash": base})
    assert json.loads(_config_text(environ))["ui"] == {"b": {"c": 3, "d": 2}}
    base = (await client.call("config.get"))["hash"]
    await client.call("config.patch", {"raw": json.dumps(patch), "baseHash": base, "replacePaths": ["ui.b"]})
    assert json.loads(_config_text(environ))["ui"] == {"b": {"c": 3}}
    base = (await client.call("config.get"))["hash"]
    crossing = {"raw": json.dumps({"ui": {"b": 5, "x": {"y": {"z": 1}}}}), "baseHash": base, "replacePaths": ["ui.b.c"]}
    error = await _fails(client, "config.patch", crossing)
    assert (error.code, error.message) == ("INVALID_REQUEST", "invalid replacePaths entry ui.b.c: ui.b is not an object")
    assert json.loads(_config_text(environ))["ui"] == {"b": {"c": 3}}


@pytest_twisted.ensureDeferred
async def test_config_schema(gateway):
    client = await gateway.connect(scopes=["operator.read"])
    schema = await client.call("config.schema")
    assert schema["schema"]["properties"]["gateway"]["properties"]["port"] == {"type": "integer", "minimum": 1, "maximum": 65535}
    assert schema["uiHints"]["gateway.auth.token"] == {"sensitive": True}
    assert schema["version"] and schema["generatedAt"]


@pytest_twisted.ensureDeferred
async def test_writes_are_rate_limited_per_method(gateway):
    client = await gateway.connect(scopes=ADMIN)
    for _ in range(30):
        assert (await _fails(client, "config.set", {"raw": "{ broken"})).code == "INVALID_REQUEST"
    limited = await _fails(client, "config.set", {"raw": "{ broken"})
    assert limited.code == "UNAVAILABLE" and limited.message.startswith("rate limit exceeded for config.set; retry after ")
    assert limited.error["retryable"] is True and limited.details == {"method": "config.set", "limit": "30 per 60s"}
    # another method has its own budget
    assert (await _fails(client, "config.patch", {"raw": "[1]"})).code == "INVALID_REQUEST"
