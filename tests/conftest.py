"""
Shared fixtures: the reactor (pytest-twisted installs it), an isolated OpenClaw home
per test, and an embedded gateway on a free loopback port.
"""

from __future__ import annotations

import json
import os
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_twisted

TOKEN = "test-token-0123456789abcdef0123456789"


@pytest.fixture(scope="session")
def reactor():
    from twisted.internet import reactor

    return reactor


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty OpenClaw home; nothing of the developer's machine leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def environ(home: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "OPENCLAW_STATE_DIR": str(home / ".openclaw"),
        "OPENCLAW_CONFIG_PATH": str(home / ".openclaw" / "openclaw.json"),
        "NO_COLOR": "1",
    }


def config_text(environ: dict[str, str], config: dict) -> str:
    """C{config} as JSON; a C{{log}} placeholder becomes a log file in the test home."""
    log = str(Path(environ["HOME"]) / "gateway.log")
    return json.dumps(config).replace('"{log}"', json.dumps(log))


def write_config(environ: dict[str, str], config: dict) -> Path:
    """Write the config file (see L{config_text})."""
    path = Path(environ["OPENCLAW_CONFIG_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config_text(environ, config))
    return path


def local_config(**gateway) -> dict:
    return {
        "gateway": {"mode": "local", "auth": {"token": TOKEN}, **gateway},
        "logging": {"file": "{log}"},
    }


class RunningGateway:
    """An embedded gateway service and the clients tests opened against it."""

    def __init__(self, service, reactor) -> None:
        self.service = service
        self.reactor = reactor
        self.clients = []

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.service.port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    async def connect(self, **kwargs):
        from openclaw.cli.client import connect

        kwargs.setdefault("token", TOKEN)
        client = await connect(self.reactor, self.url, **kwargs)
        self.clients.append(client)
        return client

    async def rejected(self, **kwargs):
        """Connect expecting a refused handshake; returns the L{ConnectRejected}."""
        from openclaw.cli.client import ConnectRejected

        with pytest.raises(ConnectRejected) as caught:
            await self.connect(**kwargs)
        return caught.value

    def open(self, params=None, headers=None):
        """A raw socket: the handshake is driven by the test (None = send nothing)."""
        from openclaw.cli.client import open_socket

        client, connected = open_socket(self.reactor, self.url, params, headers=headers)
        self.clients.append(client)
        return client, connected


def make_gateway(reactor, environ, config: dict | None, argv=("--port", "0"), clock=None):
    from openclaw.gateway.service import Options, makeService

    if config is not None:
        write_config(environ, config)
    options = Options(environ)
    options.parseOptions(list(argv))
    return makeService(options, reactor, clock=clock)


def start_gateway(reactor, environ, config: dict | None, argv=("--port", "0"), clock=None):
    """L{make_gateway}, started (ports bound, children running)."""
    service = make_gateway(reactor, environ, config, argv=argv, clock=clock)
    service.privilegedStartService()
    service.startService()
    return service


@asynccontextmanager
async def serving(service, reactor):
    """
    A started gateway as a L{RunningGateway}; afterwards its clients are closed, the
    service stopped, and every frame they received checked against the schema.
    """
    running = RunningGateway(service, reactor)
    try:
        yield running
    finally:
        for client in running.clients:
            if not client.closed.called:
                await client.close()
        await service.stopService()
    from tests.support.wire_schema import assert_valid_frame

    for client in running.clients:
        for frame in client.frames:
            assert_valid_frame(frame, client.methods.get(frame.get("id")))


@pytest.fixture
def gateway_config() -> dict:
    """Override in a test module to start the gateway with another config."""
    return local_config()


@pytest.fixture
def gateway_clock():
    """Override with a L{Clock} to drive the gateway's timers by hand."""
    return None


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, gateway_config, gateway_clock):
    service = start_gateway(reactor, environ, gateway_config, clock=gateway_clock)
    async with serving(service, reactor) as running:
        yield running
