"""
Without C{logging.file}, a gateway logs under its own state dir: two installs (two
homes) or two profiles on one host never see each other's lines in C{logs.tail},
and the directory and files are this user's alone. The CLI's file fallback finds
the same file from the same environment.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest_twisted

from openclaw.logs.family import log_family
from openclaw.paths import profile_name, select_profile
from tests.conftest import TOKEN, serving, start_gateway

CONFIG = {"gateway": {"mode": "local", "auth": {"token": TOKEN}}}  # no logging.file


def install(tmp_path: Path, name: str, profile: str | None = None) -> dict[str, str]:
    home = tmp_path / name
    home.mkdir(exist_ok=True)
    environ = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "OPENCLAW_STATE_DIR": str(home / ".openclaw"),
        "OPENCLAW_CONFIG_PATH": str(home / ".openclaw" / "openclaw.json"),
        "NO_COLOR": "1",
    }
    if profile is not None:
        select_profile(False, profile, environ)
    return environ


async def _run_and_tail(reactor, environ) -> tuple[int, dict]:
    """Start a gateway, read its log over logs.tail, stop it; its port and the tail."""
    service = start_gateway(reactor, environ, CONFIG)
    async with serving(service, reactor) as gateway:
        client = await gateway.connect()
        assert gateway.service.logSink.flush(10)
        return gateway.service.port, await client.call("logs.tail", {"limit": 500})


def _listening(tail: dict) -> list[str]:
    messages = [json.loads(line)["message"] for line in tail["lines"]]
    return [m for m in messages if m.startswith("listening on ws://")]


def _assert_private(path: str) -> None:
    assert os.stat(os.path.dirname(path)).st_mode & 0o777 == 0o700
    assert os.stat(path).st_mode & 0o777 == 0o600


async def _assert_isolated(reactor, first: dict[str, str], second: dict[str, str]) -> None:
    firstPort, firstTail = await _run_and_tail(reactor, first)
    secondPort, secondTail = await _run_and_tail(reactor, second)
    assert [m for m in _listening(firstTail) if f":{firstPort} " in m]
    assert [m for m in _listening(secondTail) if f":{secondPort} " in m]
    assert not [m for m in _listening(secondTail) if f":{firstPort} " in m]  # never the other's lines
    for environ, tail in ((first, firstTail), (second, secondTail)):
        stateDir = environ["OPENCLAW_STATE_DIR"]
        assert tail["file"].startswith(os.path.join(stateDir, "logs", "openclaw-"))
        _assert_private(tail["file"])
        # what `openclaw logs` falls back to when the gateway is down
        assert log_family(profile_name(environ), None, environ=environ).newest() == tail["file"]


@pytest_twisted.ensureDeferred
async def test_two_installs_on_one_host(reactor, tmp_path):
    await _assert_isolated(reactor, install(tmp_path, "alice"), install(tmp_path, "bob"))


@pytest_twisted.ensureDeferred
async def test_two_profiles_of_one_user(reactor, tmp_path):
    work, rescue = install(tmp_path, "me", "work"), install(tmp_path, "me", "rescue")
    assert work["HOME"] == rescue["HOME"]
    await _assert_isolated(reactor, work, rescue)
