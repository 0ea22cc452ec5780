"""
Fixtures for whole-process tests: isolated installs (home, state dir, config, file
log under C{tmp_path}) and a launcher that starts C{openclaw} / C{twistd} children
with exactly the environment we give them, and cleans up whatever is left.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest_twisted

from tests.conftest import TOKEN
from tests.e2e.processes import OPENCLAW, REPO, TWISTD, ChildProcess, spawn

#: The gateway's ready line on the console: port and pid.
LISTENING = r"listening on ws://127\.0\.0\.1:(\d+) \(PID (\d+)\)"


class Install:
    """One isolated OpenClaw install: its own home, state dir, config and log file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True)
        self.stateDir = root / "state"
        self.configPath = self.stateDir / "openclaw.json"
        self.logFile = root / "gateway.log"

    @property
    def env(self) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "OPENCLAW_STATE_DIR": str(self.stateDir),
            "OPENCLAW_CONFIG_PATH": str(self.configPath),
            "NO_COLOR": "1",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }

    def write_config(self, config: dict[str, Any] | str, log: bool = True) -> Path:
        """Write C{config} (a dict gets C{logging.file} pointed at L{logFile})."""
        self.configPath.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(config, dict):
            config = json.loads(json.dumps(config))
            if log:
                config.setdefault("logging", {})["file"] = str(self.logFile)
            config = json.dumps(config, indent=2)
        self.configPath.write_text(config)
        return self.configPath

    def local(self, token: str = TOKEN, **gateway: Any) -> Path:
        """The usual runnable config: mode local, a shared token."""
        return self.write_config({"gateway": {"mode": "local", "auth": {"token": token}, **gateway}})

    def read_config(self) -> dict[str, Any]:
        return json.loads(self.configPath.read_text())

    def log_text(self) -> str:
        return self.logFile.read_text(encoding="utf-8")

    def log_records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]


class Launcher:
    """Starts children and remembers them (and their clients) for teardown."""

    def __init__(self, reactor: Any, tmp_path: Path) -> None:
        self.reactor = reactor
        self.tmp_path = tmp_path
        self.children: list[ChildProcess] = []
        self.clients: list[Any] = []

    def install(self, name: str = "gw") -> Install:
        return Install(self.tmp_path / name)

    def spawn(self, argv: list[str], env: dict[str, str], cwd: Path, name: str | None = None, keepStdin: bool = False) -> ChildProcess:
        child = spawn(self.reactor, argv, env, cwd, name=name, keepStdin=keepStdin)
        self.children.append(child)
        return child

    def openclaw(self, install: Install, *args: str, env: dict[str, str] | None = None, name: str | None = None) -> ChildProcess:
        return self.spawn([OPENCLAW, *args], install.env if env is None else env, install.root, name)

    def twistd(self, install: Install, *args: str, name: str | None = None) -> ChildProcess:
        # The editable install maps only the `openclaw` package, so twisted.plugins
        # discovery (which scans sys.path for twisted/plugins/) cannot see the
        # checkout's plugin; a source checkout on PYTHONPATH is how twistd finds it.
        env = {**install.env, "PYTHONPATH": str(REPO)}
        return self.spawn([TWISTD, *args], env, install.root, name)

    async def listening(self, child: ChildProcess) -> int:
        """Wait for the ready line; return the port (and check the pid it names)."""
        match = await child.line(LISTENING, "stdout")
        assert int(match.group(2)) == child.pid, child.describe()
        return int(match.group(1))

    async def connect(self, port: int, token: str | None = TOKEN, **kwargs: Any):
        from openclaw.cli.client import connect

        client = await connect(self.reactor, f"ws://127.0.0.1:{port}", token=token, **kwargs)
        self.clients.append(client)
        return client

    async def stop(self, child: ChildProcess, signal: str = "TERM") -> int:
        child.signal(signal)
        return await child.exited()

    async def cleanup(self) -> None:
        for client in self.clients:
            if not client.closed.called:
                try:
                    client.close()
                except Exception:
                    pass
        for child in self.children:
            await child.kill()


@pytest_twisted.async_yield_fixture
async def launcher(reactor, tmp_path):
    from tests.support.wire_schema import assert_valid_frame

    launcher = Launcher(reactor, tmp_path)
    try:
        yield launcher
    finally:
        await launcher.cleanup()
    for client in launcher.clients:  # what real gateway processes sent, against the schema
        for frame in client.frames:
            assert_valid_frame(frame, client.methods.get(frame.get("id")))
