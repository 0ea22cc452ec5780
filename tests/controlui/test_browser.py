"""
Our Control UI in headless Chromium against a real gateway process: sign-in from the
URL fragment and the form, the live overview, pairing approved from a second browser,
logs, config edits, read-only sessions, a gateway restart, phone size and dark theme.
Every frame the page sent is checked against the protocol schema.
"""

from __future__ import annotations

import json

import pytest
import pytest_twisted

from tests.conftest import TOKEN
from tests.controlui.conftest import needs_chromium
from tests.controlui.driver import HOSTILE_HOST

pytestmark = needs_chromium


def sent(report: dict, method: str) -> list[dict]:
    return [f["frame"] for f in report["frames"] if f["dir"] == "sent" and f["frame"].get("method") == method]


def answer_to(report: dict, request: dict) -> dict:
    (found,) = [f["frame"] for f in report["frames"] if f["dir"] == "received" and f["frame"].get("id") == request["id"]]
    return found


@pytest_twisted.ensureDeferred
async def test_sign_in_from_the_fragment_then_live_presence(browser, ui_gateway):
    await browser.do("open", page="a", url=ui_gateway.url())
    await browser.do("waitText", page="a", selector="#status", text="Connected")
    overview = await browser.do("waitText", page="a", selector="#presence", text="openclaw-control-ui")
    assert "gateway" in overview
    # the token left the address bar and stayed in this origin's storage
    assert await browser.do("evaluate", page="a", script="() => location.href") == ui_gateway.url(token=None)
    assert await browser.do("evaluate", page="a", script="() => localStorage.getItem('openclaw.gateway.token')") == TOKEN
    # a second browser connecting shows up in the first one's presence table (presence event)
    before = await browser.do("count", page="a", selector="#presence tr")
    await browser.do("open", page="b", url=ui_gateway.url())
    await browser.do("waitText", page="b", selector="#status", text="Connected")
    await browser.do("evaluate", page="a", script=f"() => new Promise((ok) => {{ const t = setInterval(() => {{ if (document.querySelectorAll('#presence tr').length > {before}) {{ clearInterval(t); ok(); }} }}, 50); }})")
    report = await browser.checked_report("a")
    (connect,) = sent(report, "connect")
    params = connect["params"]
    assert params["client"]["id"] == "openclaw-control-ui" and params["auth"] == {"token": TOKEN}
    hello = answer_to(report, connect)
    assert hello["ok"] and "operator.admin" in hello["payload"]["auth"]["scopes"]
    assert hello["payload"]["auth"]["deviceToken"]  # the browser's device was paired (silently: loopback)
    # a reload signs in again from storage, with the same device
    await browser.do("reload", page="a")
    await browser.do("waitText", page="a", selector="#status", text="Connected")
    again = sent(await browser.checked_report("a"), "connect")
    assert len(again) == 2 and again[1]["params"]["device"]["id"] == params["device"]["id"]


@pytest_twisted.ensureDeferred
async def test_a_wrong_token_is_explained_and_the_form_signs_in(browser, ui_gateway):
    await browser.do("open", page="a", url=ui_gateway.url(token="not-the-token"))
    text = await browser.do("waitText", page="a", selector="main", text="Sign in to the gateway")
    assert "token mismatch" in text
    await browser.do("fill", page="a", selector="#token", value=TOKEN)
    await browser.do("press", page="a", selector="#token", key="Enter")
    await browser.do("waitText", page="a", selector="#status", text="Connected")
    await browser.do("waitText", page="a", selector="main", text="Presence")
    report = await browser.do("report", page="a")
    assert [c["params"]["auth"]["token"] for c in sent(report, "connect")] == ["not-the-token", TOKEN]


@pytest.mark.parametrize("gateway_extra_config", [{"gateway": {"auth": {"token": TOKEN, "rateLimit": {"maxAttempts": 2}}}}])
@pytest_twisted.ensureDeferred
async def test_a_rate_limit_is_explained(browser, ui_gateway):
    await browser.do("open", page="a", url=ui_gateway.url(token="wrong-1"))
    await browser.do("waitText", page="a", selector="main", text="token mismatch")
    await browser.do("fill", page="a", selector="#token", value="wrong-2")
    await browser.do("press", page="a", selector="#token", key="Enter")
    await browser.do("waitAnswers", page="a", method="connect", count=2)
    await browser.do("fill", page="a", selector="#token", value=TOKEN)  # too late: locked out
    await browser.do("press", page="a", selector="#token", key="Enter")
    banner = await browser.do("waitText", page="a", selector="#banner", text="Too many failed sign-ins")
    assert "retrying in" in banner


@pytest_twisted.ensureDeferred
async def test_the_origin_refusal_is_shown(browser, ui_gateway):
    # the gateway's own page, under a host name that is neither loopback nor allowed
    url = ui_gateway.url().replace("127.0.0.1", HOSTILE_HOST)
    await browser.do("open", page="a", url=url)
    text = await browser.do("waitText", page="a", selector="#banner", text="origin not allowed")
    assert "allowedOrigins" in text


@pytest.mark.parametrize("gateway_extra_config", [{"gateway": {"trustedProxies": ["127.0.0.1"]}}])
@pytest_twisted.ensureDeferred
async def test_pairing_approved_from_a_second_browser(browser, ui_gateway):
    # page "remote" comes through the trusted loopback proxy as a remote address: it must be approved
    await browser.do("open", page="admin", url=ui_gateway.url("devices"))
    await browser.do("waitText", page="admin", selector="#pending", text="No pending pairing requests")
    await browser.do("open", page="remote", url=ui_gateway.url(), headers={"X-Forwarded-For": "203.0.113.9"})
    waiting = await browser.do("waitText", page="remote", selector="#banner", text="waits for pairing approval")
    requestId = waiting.split("(request ")[1].split(")")[0]
    row = await browser.do("waitText", page="admin", selector="#pending", text=requestId)
    assert "203.0.113.9" in row
    await browser.do("click", page="admin", selector=f'tr[data-request="{requestId}"] button:text("Approve")')
    await browser.do("waitText", page="admin", selector="#pending", text="No pending pairing requests")
    await browser.do("waitText", page="remote", selector="#status", text="Connected")
    await browser.checked_report("admin")
    remote = await browser.checked_report("remote")
    connects = sent(remote, "connect")
    assert len(connects) >= 2 and len({c["params"]["device"]["id"] for c in connects}) == 1
    refused = answer_to(remote, connects[0])
    assert refused["error"]["details"]["code"] == "PAIRING_REQUIRED"
    assert answer_to(remote, connects[-1])["ok"]


@pytest_twisted.ensureDeferred
async def test_logs_follow_and_filter_by_level(browser, ui_gateway):
    await browser.do("open", page="a", url=ui_gateway.url("logs"))
    await browser.do("waitText", page="a", selector="#log-lines", text="listening on ws://127.0.0.1")
    # a second device pairs: its log line arrives while the page follows the log
    await browser.do("open", page="b", url=ui_gateway.url())
    await browser.do("waitText", page="b", selector="#status", text="Connected")
    deviceB = json.loads(await browser.do("evaluate", page="b", script="() => localStorage.getItem('openclaw.device.v1')"))["id"]
    await browser.do("waitText", page="a", selector="#log-lines", text=f"device pairing auto-approved device={deviceB}")
    await browser.do("evaluate", page="a", script="() => { const s = document.getElementById('log-level'); s.value = 'warn'; s.dispatchEvent(new Event('change')); }")
    assert "listening on" not in await browser.do("text", page="a", selector="#log-lines")
    report = await browser.checked_report("a")
    tails = sent(report, "logs.tail")
    assert len(tails) >= 2 and "cursor" not in tails[0]["params"] and "cursor" in tails[-1]["params"]


@pytest_twisted.ensureDeferred
async def test_config_edit_shows_validation_errors_inline_and_the_base_hash_guard(browser, ui_gateway):
    await browser.do("open", page="a", url=ui_gateway.url("config"))
    current = await browser.do("waitText", page="a", selector="#config-current", text='"port"')
    assert TOKEN not in current and "__OPENCLAW_REDACTED__" in current
    await browser.do("fill", page="a", selector="#config-patch", value='{"gateway": {"port": "nope"}}')
    await browser.do("click", page="a", selector="form button[type=submit]")
    await browser.do("waitText", page="a", selector="#config-issues", text="gateway.port")
    await browser.do("fill", page="a", selector="#config-patch", value='{"logging": {"redactSensitive": "off"}}')
    await browser.do("click", page="a", selector="form button[type=submit]")
    await browser.do("waitText", page="a", selector="#config-outcome", text="Saved.")
    await browser.do("waitText", page="a", selector="#config-current", text='"redactSensitive": "off"')
    assert ui_gateway.install.read_config()["logging"]["redactSensitive"] == "off"
    # somebody else edits the file: the page's next patch is refused, not merged over it
    config = ui_gateway.install.read_config()
    config["logging"]["redactSensitive"] = "tools"
    ui_gateway.install.write_config(config, log=False)
    await browser.do("fill", page="a", selector="#config-patch", value='{"logging": {"redactSensitive": "off"}}')
    await browser.do("click", page="a", selector="form button[type=submit]")
    await browser.do("waitText", page="a", selector="#config-issues", text="config changed since last load")
    assert ui_gateway.install.read_config()["logging"]["redactSensitive"] == "tools"
    report = await browser.checked_report("a")
    patches = sent(report, "config.patch")
    assert all(p["params"]["baseHash"] for p in patches)


@pytest_twisted.ensureDeferred
async def test_a_read_only_session_gets_read_only_screens(browser, ui_gateway):
    await browser.do("open", page="a", url=ui_gateway.url(token=None))
    await browser.do("waitText", page="a", selector="main", text="Sign in to the gateway")
    await browser.do("fill", page="a", selector="#token", value=TOKEN)
    await browser.do("click", page="a", selector="#readonly")
    await browser.do("click", page="a", selector="form button[type=submit]")
    await browser.do("waitText", page="a", selector="#status", text="Connected (read-only)")
    await browser.do("click", page="a", selector='nav a:text("Config")')
    await browser.do("waitText", page="a", selector="main", text="Read-only session")
    assert await browser.do("count", page="a", selector="#config-patch") == 0
    await browser.do("click", page="a", selector='nav a:text("Devices")')
    await browser.do("waitText", page="a", selector="main", text="need operator.pairing")
    await browser.do("click", page="a", selector='nav a:text("Channels")')
    await browser.do("waitText", page="a", selector="main", text="No channel accounts are configured")
    report = await browser.checked_report("a")
    (connect,) = sent(report, "connect")
    assert connect["params"]["scopes"] == ["operator.read"]


@pytest_twisted.ensureDeferred
async def test_the_page_survives_gateway_restarts(browser, ui_gateway):
    await browser.do("open", page="a", url=ui_gateway.url())
    await browser.do("waitText", page="a", selector="#presence", text="openclaw-control-ui")
    # in-process restart (SIGUSR1): shutdown event, reconnect, resume on hello-ok
    ui_gateway.child.signal("USR1")
    await ui_gateway.child.line(r"gateway restarted on ws://127\.0\.0\.1:", "stdout", timeout=60)
    await browser.do("evaluate", page="a", script="() => new Promise((ok) => { const t = setInterval(() => { if (document.querySelectorAll('#presence tr').length && !document.getElementById('banner').textContent) { clearInterval(t); ok(); } }, 50); })")
    await browser.do("waitText", page="a", selector="#status", text="Connected")
    # the process goes away and comes back on the same port: the page says so, then reconnects
    await ui_gateway.stop()
    await browser.do("waitText", page="a", selector="#banner", text="Gateway unreachable")
    await ui_gateway.start()
    await browser.do("waitText", page="a", selector="#status", text="Connected")
    await browser.do("waitText", page="a", selector="#presence", text="openclaw-control-ui")
    report = await browser.checked_report("a", gatewayWentAway=True)
    connects = sent(report, "connect")
    assert len(connects) >= 3 and len({c["params"]["device"]["id"] for c in connects}) == 1
    assert any(f["frame"].get("event") == "shutdown" for f in report["frames"] if f["dir"] == "received")


@pytest_twisted.ensureDeferred
async def test_phone_size_dark_theme_and_keyboard(browser, ui_gateway):
    await browser.do("open", page="a", url=ui_gateway.url(), viewport=[390, 844], colorScheme="dark")
    await browser.do("waitText", page="a", selector="#presence", text="openclaw-control-ui")
    layout = await browser.do("evaluate", page="a", script="() => ({scroll: document.documentElement.scrollWidth, width: innerWidth, bg: getComputedStyle(document.body).backgroundColor})")
    assert layout["scroll"] <= layout["width"], layout  # nothing wider than the phone
    red, green, blue = (int(v) for v in layout["bg"][4:-1].split(","))
    assert max(red, green, blue) < 60, layout  # the dark theme, from the system setting
    # Tab reaches the skip link, then every screen in the navigation; Enter opens one
    focus = await browser.do("keyboard", page="a", keys=["Tab"] * 8)
    assert focus[0].startswith("a#:Skip to content")
    assert [f.split(":", 1)[1] for f in focus[1:]] == ["Overview", "Chat", "Sessions", "Channels", "Devices", "Logs", "Config"]
    await browser.do("keyboard", page="a", keys=["Enter"])
    await browser.do("waitText", page="a", selector="main h1", text="Config")
    await browser.checked_report("a")
