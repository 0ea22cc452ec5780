"""
Shared fixtures: the reactor (pytest-twisted installs it), an isolated OpenClaw home
per test, loopback ports held for a test, and an embedded gateway on a port of its own.
"""

from __future__ import annotations

import json
import os
import socket
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_twisted

TOKEN = "test-token-0123456789abcdef0123456789"


@pytest.fixture(scope="session")
def reactor():
    from twisted.internet import reactor

    return reactor


class HeldPorts:
    """
    Loopback ports a test needs to know before anything listens on them, held by
    this process until the test ends, so no other test can be handed one meanwhile
    (binding port 0, closing, and reusing the number is a race on a busy machine).

    L{reserve} binds with C{SO_REUSEADDR} and does not listen: a connect is refused,
    the kernel gives the port to nobody else, and a gateway (Twisted listens with
    C{SO_REUSEADDR}) can still listen on it, also again after an in-process restart.
    L{listen} holds a listener instead: the port is busy for a gateway too.
    """

    def __init__(self) -> None:
        self._sockets: list[socket.socket] = []

    def _bind(self, reuse: bool) -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        self._sockets.append(s)
        return s

    def reserve(self) -> int:
        """A port nothing listens on yet, that only this test will use."""
        return self._bind(reuse=True).getsockname()[1]

    def listen(self) -> int:
        """A port this process listens on (never accepting): busy for anyone else."""
        s = self._bind(reuse=False)
        s.listen(1)
        return s.getsockname()[1]

    def close(self) -> None:
        for s in self._sockets:
            s.close()
        self._sockets.clear()


@pytest.fixture
def ports():
    held = HeldPorts()
    yield held
    held.close()


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
