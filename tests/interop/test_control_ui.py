"""
The real Control UI (the assets of the npm package, served by our gateway from
C{gateway.controlUi.root}) in headless Chromium: the UI's device-signed connect
succeeds, and it shows our gateway's connection health and presence.

Playwright's blocking API runs in a child process (C{dashboard_browser.py}) with the
system Chromium, so the test's reactor stays free.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import pytest_twisted

from openclaw import VERSION
from tests.conftest import TOKEN
from tests.e2e.processes import PYTHON, spawn

BROWSER_SCRIPT = str(Path(__file__).with_name("dashboard_browser.py"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: The UI's own mount watchdog gives up after 12 s; leave room for a slow machine.
PAGE_TIMEOUT = 60

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install -y chromium)")


async def open_dashboard(interop, path: str, *waitTexts: str) -> dict:
    url = f"http://127.0.0.1:{interop.port}/{path}#token={TOKEN}"
    argv = [PYTHON, BROWSER_SCRIPT, url, "--chromium", CHROMIUM, "--timeout", str(PAGE_TIMEOUT)]
    for text in waitTexts:
        argv += ["--wait-text", text]
    env = {"HOME": str(interop.install.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    child = spawn(interop.reactor, argv, env, interop.install.root, name="dashboard browser")
    interop.children.append(child)
    await child.exited(timeout=PAGE_TIMEOUT + 60)
    assert child.exitCode == 0, child.describe()
    report = json.loads(child.stdout)
    missing = [t for t in waitTexts if t not in report["text"]]
    assert not missing, f"page never showed {missing}:\n{report['text']}"
    return report


def hello_of(report: dict) -> tuple[dict, dict]:
    sent = [f["frame"] for f in report["frames"] if f["dir"] == "sent"]
    received = [f["frame"] for f in report["frames"] if f["dir"] == "received"]
    (connect,) = [f for f in sent if f.get("method") == "connect"]
    (answer,) = [f for f in received if f.get("id") == connect["id"]]
    return connect, answer


def errors_by_method(report: dict) -> dict[str, dict]:
    methods = {f["frame"]["id"]: f["frame"]["method"] for f in report["frames"] if f["dir"] == "sent"}
    return {
        methods[f["frame"]["id"]]: f["frame"]["error"]
        for f in report["frames"]
        if f["dir"] == "received" and f["frame"].get("type") == "res" and not f["frame"]["ok"]
    }


@pytest_twisted.ensureDeferred
async def test_dashboard_connects_with_its_device_and_shows_our_state(interop):
    report = await open_dashboard(interop, "", "Connected")
    connect, answer = hello_of(report)
    params = connect["params"]
    assert params["client"]["id"] == "openclaw-control-ui" and "device" in params
    assert answer["ok"], answer
    hello = answer["payload"]
    assert hello["auth"]["role"] == "operator" and "operator.admin" in hello["auth"]["scopes"]
    assert len(hello["auth"]["deviceToken"]) == 43  # paired silently: loopback + shared token
    # the first screen's state is ours: health and presence from our gateway
    snapshot = hello["snapshot"]
    assert snapshot["health"]["defaultAgentId"] == "main" and snapshot["health"]["ok"] is True
    (gatewayEntry,) = [e for e in snapshot["presence"] if e["mode"] == "gateway"]
    assert gatewayEntry["version"] == VERSION and gatewayEntry["instanceId"] == hello["server"]["bootId"]
    assert report["failedRequests"] == []  # assets, SPA fallback and bootstrap config all served
    # features we do not have yet are refused the protocol's way, never with a fake answer
    for method, error in errors_by_method(report).items():
        assert error == {"code": "INVALID_REQUEST", "message": f"unknown method: {method}"}, (method, error)


@pytest_twisted.ensureDeferred
async def test_gateway_settings_show_connection_health(interop):
    report = await open_dashboard(interop, "settings/connection", f"Connected to 127.0.0.1:{interop.port}", "LATEST PING")
    sent = {f["frame"].get("method") for f in report["frames"] if f["dir"] == "sent"}
    assert "last-heartbeat" in sent  # the UI's latency probe, answered by our gateway
    assert "last-heartbeat" not in errors_by_method(report)


@pytest_twisted.ensureDeferred
async def test_devices_page_shows_our_presence(interop):
    # our gateway's own presence entry ("<host> gateway <platform> · <our version>") and the
    # browser's device, from the hello snapshot, presence events and system-presence
    report = await open_dashboard(interop, "settings/devices", "PAIRED DEVICES", f"· {VERSION}", "openclaw-control-ui")
    errors = errors_by_method(report)
    assert "system-presence" not in errors and "device.pair.list" not in errors
