"""
Page weight (bytes transferred on a first load, cold cache) and time to interactive
(navigation start until the page is connected and shows the gateway's state) on
loopback: ours, and the real OpenClaw Control UI served by our gateway from the npm
package. The numbers go to C{measurements.json} in the artefact directory.
"""

from __future__ import annotations

import json

import pytest_twisted

from tests.controlui.conftest import UiGateway, artefact_dir, needs_chromium, ui_config
from tests.interop.conftest import real_openclaw  # noqa: F401 (the fixture)

pytestmark = needs_chromium

#: Ours must stay small: everything it is, uncompressed, is well under this.
OUR_BUDGET_BYTES = 150_000
#: Resolves with performance.now() once C{selector} shows C{text}.
UNTIL = "([selector, text]) => new Promise((ok) => { const t = setInterval(() => { const e = document.querySelector(selector); if (e && e.innerText.includes(text)) { clearInterval(t); ok(performance.now()); } }, 10); })"


async def measure(browser, url: str, selector: str, text: str) -> dict:
    await browser.do("open", page="m", url=url)
    ready = await browser.do("evaluate", page="m", script=f"() => ({UNTIL})({json.dumps([selector, text])})")
    weight = await browser.do("metrics", page="m")
    return {**weight, "interactiveMs": round(ready)}


def record(tmp_path, name: str, numbers: dict) -> None:
    path = artefact_dir(tmp_path) / "measurements.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(path.read_text()) if path.exists() else {}
    known[name] = numbers
    path.write_text(json.dumps(known, indent=2))
    print(f"\n{name}: {json.dumps(numbers)}")


@pytest_twisted.ensureDeferred
async def test_ours(browser, ui_gateway, tmp_path):
    numbers = await measure(browser, ui_gateway.url(), "#presence", "openclaw-control-ui")
    record(tmp_path, "ours", numbers)
    assert numbers["transferred"] < OUR_BUDGET_BYTES, numbers
    await browser.checked_report("m")


@pytest_twisted.ensureDeferred
async def test_the_real_control_ui(browser, launcher, ports, real_openclaw, tmp_path):  # noqa: F811
    port = ports.reserve()
    install = launcher.install()
    config = ui_config(port)
    config["gateway"]["controlUi"] = {"root": str(real_openclaw.controlUiRoot)}
    install.write_config(config)
    gateway = UiGateway(launcher, install, port)
    await gateway.start()
    numbers = await measure(browser, gateway.url(), "body", "Connected")
    record(tmp_path, "real OpenClaw Control UI", numbers)
    assert numbers["transferred"] > 0
