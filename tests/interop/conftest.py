"""
Fixtures for the interop suite: the real, unmodified OpenClaw (Node 24 + the npm
package, installed once into the test cache) against OUR gateway, started as a real
C{openclaw gateway} process. Both sides share one install: the same config file
(port, token), state dir and HOME, as a user's machine would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import ensureDeferred

from tests.conftest import TOKEN, HeldPorts
from tests.e2e.conftest import LISTENING, Install
from tests.e2e.processes import OPENCLAW, ChildProcess, spawn
from tests.interop.realopenclaw import NpmUnreachable, RealOpenClaw, install

#: The real CLI starts Node and loads a large bundle: seconds, not milliseconds.
CLI_TIMEOUT = 120.0


@pytest.fixture(scope="session")
def real_openclaw(reactor) -> RealOpenClaw:
    try:
        return pytest_twisted.blockon(ensureDeferred(install(reactor)))
    except NpmUnreachable as e:
        pytest.skip(f"interop suite needs the real OpenClaw from npm: {e}")


class Interop:
    """Our gateway (a child process) and a way to run the real OpenClaw CLI against it."""

    def __init__(self, reactor: Any, real: RealOpenClaw, install: Install, port: int) -> None:
        self.reactor = reactor
        self.real = real
        self.install = install
        self.port = port
        self.gateway: ChildProcess | None = None
        self.children: list[ChildProcess] = []

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return self.real.environ(self.install.env)

    def start(self, *args: str) -> ChildProcess:
        """Start the real CLI with C{args}; the caller waits on the child."""
        child = spawn(self.reactor, self.real.argv(*args), self.env, self.install.root, name=f"openclaw {' '.join(args)}")
        self.children.append(child)
        return child

    async def run(self, *args: str, timeout: float = CLI_TIMEOUT) -> ChildProcess:
        """Run the real CLI to its end (the exit code is asserted by the test)."""
        child = self.start(*args)
        await child.exited(timeout=timeout)
        return child

    async def cleanup(self) -> None:
        for child in self.children:
            await child.kill()
        if self.gateway is not None and not self.gateway.ended:
            self.gateway.signal("TERM")
            await self.gateway.exited()


def interop_config(real: RealOpenClaw, port: int) -> dict[str, Any]:
    """The one config both sides read. Update checks are off: no traffic beyond loopback."""
    return {
        "gateway": {
            "mode": "local",
            "port": port,
            "auth": {"mode": "token", "token": TOKEN},
            # X-Forwarded-For from this loopback "proxy" names a remote device (pairing requests)
            "trustedProxies": ["127.0.0.1"],
            "controlUi": {"root": str(real.controlUiRoot)},
        },
        "update": {"checkOnStart": False},
    }


@pytest.fixture(scope="module")
def interop_extra_config() -> dict[str, Any]:
    """Top-level config sections a test module adds (override it in the module)."""
    return {}


@pytest_twisted.async_yield_fixture(scope="module")
async def interop(reactor, real_openclaw, tmp_path_factory, interop_extra_config):
    root = Path(tmp_path_factory.mktemp("interop"))
    site = Install(root)
    held = HeldPorts()  # module scope: the fixture holds its port itself
    port = held.reserve()
    site.write_config({**interop_config(real_openclaw, port), **interop_extra_config})
    env = Interop(reactor, real_openclaw, site, port)
    try:
        env.gateway = spawn(reactor, [OPENCLAW, "gateway"], site.env, root, name="our gateway")
        match = await env.gateway.line(LISTENING, "stdout")
        assert int(match.group(1)) == port, env.gateway.describe()
        yield env
    finally:
        await env.cleanup()
        held.close()
