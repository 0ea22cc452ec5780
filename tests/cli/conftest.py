"""
CLI commands run as real processes against a real gateway process.

    async def test_x(cli):
        gw = await cli.gateway()              # `openclaw gateway` on the install's port
        result = await cli.run("health", "--json")
        assert result.code == 0 and result.json()["ok"]

Both processes share one isolated install (home, state dir, config with a token,
file log), so the CLI finds the gateway the way a user's does: from the config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest_twisted

from tests.conftest import TOKEN
from tests.conftest import HeldPorts
from tests.e2e.conftest import Install, Launcher, launcher  # noqa: F401 (fixture)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


class CliRunner:
    def __init__(self, launcher: Launcher, ports: HeldPorts) -> None:
        self.launcher = launcher
        self.install: Install = launcher.install("cli")
        self.port = ports.reserve()
        self.install.local(port=self.port)
        self.child = None

    async def gateway(self, *args: str) -> int:
        """Start C{openclaw gateway} on the configured port; returns the port."""
        self.child = self.launcher.openclaw(self.install, "gateway", *args, name="gateway")
        self.port = await self.launcher.listening(self.child)
        return self.port

    async def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 30) -> CliResult:
        """Run C{openclaw <args>} to its end."""
        child = self.launcher.openclaw(self.install, *args, env={**self.install.env, **(env or {})}, name=args[0])
        code = await child.exited(timeout)
        return CliResult(code, child.stdout, child.stderr)


@pytest_twisted.async_yield_fixture
async def cli(launcher, ports):  # noqa: F811
    yield CliRunner(launcher, ports)


__all__ = ["CliResult", "CliRunner", "TOKEN"]
