"""
The Control UI on the gateway port, served from a user's asset dir
(C{gateway.controlUi.root}): index with injected attributes and CSP, static assets,
the SPA fallback, deep links, the authenticated bootstrap config, and the base path.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
import pytest_twisted
import treq

from tests.conftest import TOKEN, local_config
from tests.support.device_keys import DeviceKey, device_params

INLINE = b'globalThis.boot = "./not-a-ref";'
INDEX = (
    b'<!doctype html>\n<html lang="en">\n<head>\n'
    b'<link rel="icon" href="./favicon.svg" />\n'
    b"<script>" + INLINE + b"</script>\n"
    b'<script type="module" src="./assets/app-1a2b.js"></script>\n'
    b"</head><body><openclaw-app></openclaw-app></body></html>\n"
)
APP_JS = b"export const ready = true;\n"


@pytest.fixture
def ui_root(tmp_path: Path) -> Path:
    root = tmp_path / "control-ui"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(INDEX)
    (root / "assets" / "app-1a2b.js").write_bytes(APP_JS)
    (root / "favicon.svg").write_bytes(b"<svg/>")
    (tmp_path / "secret.txt").write_text("not for the web")
    return root


@pytest.fixture
def gateway_config(ui_root, request) -> dict:
    basePath = getattr(request, "param", None)
    controlUi = {"root": str(ui_root), **({"basePath": basePath} if basePath else {})}
    return local_config(controlUi=controlUi)


async def get(gateway, path, headers=None, method="GET"):
    response = await treq.request(method, gateway.http + path, headers=headers, persistent=False)
    return response, await response.content()


def header(response, name):
    return response.headers.getRawHeaders(name, [None])[0]


@pytest_twisted.ensureDeferred
async def test_index_is_stamped_and_its_inline_script_allowed(gateway):
    response, body = await get(gateway, "/")
    assert response.code == 200
    assert header(response, "content-type") == "text/html; charset=utf-8"
    assert header(response, "cache-control") == "no-cache"
    assert header(response, "x-frame-options") == "DENY"
    assert b'<html data-openclaw-control-ui-base-path="" data-openclaw-terminal-enabled="false" lang="en">' in body
    assert b'href="/favicon.svg"' in body and b'src="/assets/app-1a2b.js"' in body
    assert INLINE in body  # script text is left alone
    digest = base64.b64encode(hashlib.sha256(INLINE).digest()).decode()
    csp = header(response, "content-security-policy")
    assert f"script-src 'self' 'sha256-{digest}' 'wasm-unsafe-eval';" in csp
    assert "connect-src 'self' ws: wss:" in csp


@pytest_twisted.ensureDeferred
async def test_assets_and_revalidation(gateway):
    response, body = await get(gateway, "/assets/app-1a2b.js")
    assert (response.code, body) == (200, APP_JS)
    assert header(response, "content-type") == "application/javascript; charset=utf-8"
    assert header(response, "cache-control") == "public, max-age=31536000, immutable"
    modified = header(response, "last-modified")
    again, body = await get(gateway, "/assets/app-1a2b.js", {"If-Modified-Since": modified})
    assert (again.code, body) == (304, b"")
    icon, body = await get(gateway, "/favicon.svg")
    assert (icon.code, body) == (200, b"<svg/>")
    assert header(icon, "content-type") == "image/svg+xml" and header(icon, "cache-control") == "no-cache"
    versioned, _ = await get(gateway, "/favicon.svg?v=build-1")
    assert header(versioned, "cache-control") == "public, max-age=31536000, immutable"


@pytest_twisted.ensureDeferred
async def test_deep_links_fall_back_to_the_index_and_find_their_assets(gateway):
    page, body = await get(gateway, "/settings/devices", {"Accept": "text/html,*/*;q=0.8"})
    assert page.code == 200 and b"<openclaw-app>" in body
    asset, body = await get(gateway, "/settings/assets/app-1a2b.js")
    assert (asset.code, body) == (200, APP_JS)


@pytest.mark.parametrize(
    "path, accept",
    [("/nope.json", "application/json"), ("/chat", "text/html;q=0"), ("/app%00.js", "application/javascript"),
     ("/%2e%2e/secret.txt", None), ("/../secret.txt", None)],
)
@pytest_twisted.ensureDeferred
async def test_not_found(gateway, path, accept):
    response, body = await get(gateway, path, {"Accept": accept} if accept else None)
    if accept is None:  # traversal never reaches the file: the SPA answers, or 404
        assert b"not for the web" not in body
    else:
        assert (response.code, body) == (404, b"Not Found")


@pytest_twisted.ensureDeferred
async def test_only_get_and_head(gateway):
    response, _ = await get(gateway, "/", method="POST")
    assert response.code == 404
    head, body = await get(gateway, "/", method="HEAD")
    assert head.code == 200 and body == b""


@pytest_twisted.ensureDeferred
async def test_bootstrap_config_needs_the_secret_or_a_device_token(gateway):
    response, body = await get(gateway, "/control-ui-config.json")
    assert response.code == 401 and json.loads(body) == {"error": {"message": "Unauthorized", "type": "unauthorized"}}
    wrong, _ = await get(gateway, "/control-ui-config.json", {"Authorization": "Bearer wrong-token"})
    assert wrong.code == 401
    ok, body = await get(gateway, "/control-ui-config.json", {"Authorization": f"Bearer {TOKEN}"})
    assert ok.code == 200 and header(ok, "cache-control") == "no-cache"
    config = json.loads(body)
    assert config["basePath"] == "" and config["assistantAgentId"] == "main"
    assert config["terminalEnabled"] is False and config["pluginFrameGrants"] == []
    alias, _ = await get(gateway, "/__openclaw__/control-ui-config.json", {"Authorization": f"Bearer {TOKEN}"})
    assert alias.code == 200

    # a paired device's token (what the Control UI sends after its first connect)
    key = DeviceKey()
    client, connected = gateway.open(
        lambda challenge: device_params(key, challenge, auth={"token": TOKEN}, clientId="openclaw-control-ui",
                                        mode="webchat", scopes=["operator.admin"]),
        headers={"Origin": gateway.http},
    )
    await connected
    deviceToken = (await client.ready).hello["auth"]["deviceToken"]
    device, _ = await get(gateway, "/control-ui-config.json", {"Authorization": f"Bearer {deviceToken}"})
    assert device.code == 200


@pytest.mark.parametrize("gateway_config", ["/openclaw/"], indirect=True)
@pytest_twisted.ensureDeferred
async def test_base_path(gateway):
    outside, _ = await get(gateway, "/")
    assert outside.code == 404
    page, body = await get(gateway, "/openclaw/")
    assert page.code == 200 and b'data-openclaw-control-ui-base-path="/openclaw"' in body
    assert b'src="/openclaw/assets/app-1a2b.js"' in body
    asset, body = await get(gateway, "/openclaw/assets/app-1a2b.js")
    assert (asset.code, body) == (200, APP_JS)
    config, body = await get(gateway, "/openclaw/control-ui-config.json", {"Authorization": f"Bearer {TOKEN}"})
    assert config.code == 200 and json.loads(body)["basePath"] == "/openclaw"


def test_a_root_without_index_is_reported_and_not_served(reactor, environ, tmp_path):
    from tests.conftest import make_gateway

    empty = tmp_path / "empty"
    empty.mkdir()
    service = make_gateway(reactor, environ, local_config(controlUi={"root": str(empty)}))
    assert service.settings.controlUi.root is None
    assert f"gateway.controlUi.root has no index.html ({empty}); the gateway's own Control UI is served instead." in service.settings.warnings


def test_a_relative_root_is_found_beside_the_config_file(reactor, environ, ui_root):
    from tests.conftest import make_gateway

    config = local_config(controlUi={"root": "../../control-ui"})
    service = make_gateway(reactor, environ, config)  # config file: <tmp>/home/.openclaw/openclaw.json
    assert service.settings.controlUi.root == str(ui_root)
