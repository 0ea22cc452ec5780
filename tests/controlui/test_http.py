"""
Our Control UI over HTTP, from an in-process gateway with no C{controlUi.root}: the
package's index and modules, deep links, caching, the base path, the switch, and what
the package ships (every asset packaged, nothing fetched from another host).
"""

from __future__ import annotations

import configparser
import fnmatch
import json
import re
from pathlib import Path

import pytest
import pytest_twisted
import treq

from openclaw import VERSION
from openclaw.gateway.http.controlui import BUNDLED_ROOT
from tests.conftest import TOKEN, local_config

REPO = Path(__file__).resolve().parents[2]
ASSETS = sorted(p for p in Path(BUNDLED_ROOT).rglob("*") if p.is_file())


async def get(gateway, path, headers=None, method="GET"):
    response = await treq.request(method, gateway.http + path, headers=headers, persistent=False)
    return response, await response.content()


def header(response, name):
    return response.headers.getRawHeaders(name, [None])[0]


@pytest_twisted.ensureDeferred
async def test_the_root_serves_our_ui(gateway):
    response, body = await get(gateway, "/")
    assert response.code == 200 and header(response, "content-type") == "text/html; charset=utf-8"
    assert header(response, "cache-control") == "no-cache" and header(response, "x-frame-options") == "DENY"
    assert b'<html data-openclaw-control-ui-base-path=""' in body
    assert b'<script type="module" src="/app.js"></script>' in body and b'href="/style.css"' in body
    # no inline script: the CSP admits our own modules only
    csp = header(response, "content-security-policy")
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp and "connect-src 'self' ws: wss:" in csp


@pytest.mark.parametrize("path", ["/app.js", "/gateway.js", "/screens/chat.js"])
@pytest_twisted.ensureDeferred
async def test_modules_are_served_for_revalidation(gateway, path):
    response, body = await get(gateway, path)
    assert response.code == 200 and body == (Path(BUNDLED_ROOT) / path.lstrip("/")).read_bytes()
    assert header(response, "content-type") == "application/javascript; charset=utf-8"
    assert header(response, "cache-control") == "no-cache"  # unversioned: revalidated, never stale after an upgrade
    again, body = await get(gateway, path, {"If-Modified-Since": header(response, "last-modified")})
    assert (again.code, body) == (304, b"")


@pytest_twisted.ensureDeferred
async def test_screens_are_deep_links_to_the_index(gateway):
    index = (await get(gateway, "/"))[1]
    for screen in ("chat", "sessions", "channels", "devices", "logs", "config"):
        page, body = await get(gateway, f"/{screen}", {"Accept": "text/html,*/*;q=0.8"})
        assert (page.code, body) == (200, index)
    missing, body = await get(gateway, "/nope.js", {"Accept": "application/javascript"})
    assert (missing.code, body) == (404, b"Not Found")


@pytest_twisted.ensureDeferred
async def test_the_bootstrap_config_needs_the_token(gateway):
    refused, _ = await get(gateway, "/control-ui-config.json")
    assert refused.code == 401
    ok, body = await get(gateway, "/control-ui-config.json", {"Authorization": f"Bearer {TOKEN}"})
    assert ok.code == 200 and json.loads(body)["serverVersion"] == VERSION


@pytest.mark.parametrize("gateway_config", [local_config(controlUi={"basePath": "/ops/"})])
@pytest_twisted.ensureDeferred
async def test_under_a_base_path(gateway):
    outside, _ = await get(gateway, "/")
    assert outside.code == 404
    page, body = await get(gateway, "/ops/")
    assert b'data-openclaw-control-ui-base-path="/ops"' in body
    assert b'src="/ops/app.js"' in body and b'href="/ops/chat"' in body and b'href="/ops/"' in body
    deep, again = await get(gateway, "/ops/logs")
    assert again == body
    module, _ = await get(gateway, "/ops/screens/logs.js")
    assert module.code == 200


@pytest.mark.parametrize("gateway_config", [local_config(controlUi={"enabled": False})])
@pytest_twisted.ensureDeferred
async def test_switched_off(gateway):
    response, body = await get(gateway, "/")
    assert (response.code, body) == (404, b"Not Found")


def test_every_asset_ships_in_the_wheel():
    """The package data globs of setup.cfg cover every file of the UI directory."""
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg")
    data = parser["options.package_data"]
    for asset in ASSETS:
        rel = asset.relative_to(Path(BUNDLED_ROOT).parent.parent)
        package = ".".join(rel.parent.parts)
        globs = [g.strip() for g in data.get(package, "").split(",") if g.strip()]
        assert any(fnmatch.fnmatch(asset.name, g) for g in globs), f"{rel} is not package data"


@pytest.mark.parametrize("asset", ASSETS, ids=lambda p: p.name)
def test_nothing_is_fetched_from_another_host(asset):
    text = asset.read_text(encoding="utf-8")
    assert not re.search(r"https?://|//[a-z0-9-]+\.[a-z]", text, re.IGNORECASE), asset
    assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|\beval\(", text), asset


def test_the_ui_version_is_the_package_version():
    source = (Path(BUNDLED_ROOT) / "version.js").read_text()
    assert re.search(r'export const VERSION = "([^"]+)";', source).group(1) == VERSION
