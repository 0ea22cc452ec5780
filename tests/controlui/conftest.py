"""
Fixtures for the Control UI tests: a real C{openclaw gateway} child serving our UI,
and a headless Chromium (Debian's, through Playwright) in a child process that the
test drives one command at a time (C{driver.py}), so the test's reactor stays free.

On a failed browser command every open page is photographed into the artefact
directory (C{$OPENCLAW_TEST_ARTEFACTS/controlui}, else the test's tmp dir).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted

from tests.conftest import TOKEN
from tests.e2e.conftest import LISTENING, Install, launcher  # noqa: F401 (the launcher fixture)
from tests.e2e.processes import OPENCLAW, PYTHON, ChildProcess, spawn
from tests.support.wire_schema import assert_valid_frame, assert_valid_request

DRIVER = str(Path(__file__).with_name("driver.py"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: One browser command (a page load, a wait for text) on a busy machine.
COMMAND_TIMEOUT = 90.0

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install -y chromium)")


_REFUSED = re.compile(r"^error: WebSocket connection to 'ws://127\.0\.0\.1:\d+/' failed: .*net::ERR_CONNECTION_REFUSED$")


class BrowserFailed(AssertionError):
    """A browser command failed; the message names the screenshots taken."""


class Browser:
    """The driver child: C{await browser.do(op, **args)} runs one command and returns its result."""

    def __init__(self, reactor: Any, child: ChildProcess) -> None:
        self.reactor = reactor
        self.child = child
        self.seq = 0

    async def do(self, op: str, timeout: float = COMMAND_TIMEOUT, **args: Any) -> Any:
        self.seq += 1
        waiting = self.child.line(rf"^@@{self.seq} (.*)$", "stdout", timeout=timeout)
        self.child.transport.write(json.dumps({"seq": self.seq, "op": op, **args}).encode() + b"\n")
        answer = json.loads((await waiting).group(1))
        if not answer["ok"]:
            raise BrowserFailed(f"{op} {args}: {answer['error']}\nscreenshots: {answer['screenshots']}")
        return answer["result"]

    async def checked_report(self, page: str, gatewayWentAway: bool = False) -> dict:
        """
        The page's record, after checking it: every frame against the protocol schema, no
        console or page errors (with C{gatewayWentAway}, but the browser's own report of
        each refused WebSocket while the gateway was down).
        """
        report = await self.do("report", page=page)
        methods = {}
        for entry in report["frames"]:
            frame = entry.get("frame")
            assert frame is not None, f"a frame that is not JSON: {entry}"
            if entry["dir"] == "sent":
                assert_valid_request(frame)
                methods[frame["id"]] = frame["method"]
            else:
                assert_valid_frame(frame, methods.get(frame.get("id")))
        console = [m for m in report["console"] if not (gatewayWentAway and _REFUSED.search(m))]
        assert console == [] and report["pageErrors"] == [], (console, report["pageErrors"])
        return report

    async def quit(self) -> None:
        if not self.child.ended:
            self.child.transport.write(json.dumps({"seq": 0, "op": "quit"}).encode() + b"\n")
            self.child.closeStdin()
            await self.child.exited(timeout=30)


def artefact_dir(tmp_path: Path) -> Path:
    root = os.environ.get("OPENCLAW_TEST_ARTEFACTS")
    return Path(root) / "controlui" if root else tmp_path / "artefacts"


@pytest_twisted.async_yield_fixture
async def browser(reactor, tmp_path):
    env = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    argv = [PYTHON, DRIVER, "--chromium", CHROMIUM, "--artefacts", str(artefact_dir(tmp_path))]
    child = spawn(reactor, argv, env, tmp_path, name="chromium driver", keepStdin=True)
    driver = Browser(reactor, child)
    try:
        yield driver
    finally:
        try:
            await driver.quit()
        finally:
            await child.kill()


class UiGateway:
    """An C{openclaw gateway} child on a port held for the test, restartable on that port."""

    def __init__(self, launcher, install: Install, port: int) -> None:
        self.launcher = launcher
        self.install = install
        self.port = port
        self.child: ChildProcess | None = None

    def url(self, path: str = "", token: str | None = TOKEN) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}" + (f"#token={token}" if token is not None else "")

    async def start(self) -> None:
        self.child = self.launcher.spawn([OPENCLAW, "gateway"], self.install.env, self.install.root, name="gateway")
        await self.child.line(LISTENING, "stdout", timeout=60)

    async def stop(self) -> None:
        await self.launcher.stop(self.child)


def ui_config(port: int, **extra: Any) -> dict[str, Any]:
    """The gateway config of these tests: local, a token, the held port; C{extra} merged at the top."""
    config: dict[str, Any] = {"gateway": {"mode": "local", "port": port, "auth": {"token": TOKEN}}}
    for key, value in extra.items():
        config[key] = {**config.get(key, {}), **value}
    return config


@pytest.fixture
def gateway_extra_config() -> dict[str, Any]:
    """Override in a test module: config sections merged into L{ui_config}."""
    return {}


@pytest_twisted.async_yield_fixture
async def ui_gateway(launcher, ports, gateway_extra_config):  # noqa: F811 (launcher is the imported fixture)
    port = ports.reserve()
    install = launcher.install()
    install.write_config(ui_config(port, **gateway_extra_config))
    gateway = UiGateway(launcher, install, port)
    await gateway.start()
    yield gateway
