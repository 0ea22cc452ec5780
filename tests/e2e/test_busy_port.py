"""
A busy port as a real process: the refusal is shown once, without tracebacks, and
the process exits 1, in the foreground `openclaw gateway` and under `twistd -n`.
"""

from __future__ import annotations

import socket

import pytest_twisted

REFUSAL = "Gateway failed to start: another gateway instance is already listening on ws://127.0.0.1:{port}"


def _holder() -> socket.socket:
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    return held


@pytest_twisted.ensureDeferred
async def test_openclaw_gateway_shows_the_conflict_once(launcher):
    gw = launcher.install()
    gw.local()
    with _holder() as held:
        port = held.getsockname()[1]
        child = launcher.openclaw(gw, "gateway", "--port", str(port))
        assert await child.exited() == 1, child.describe()
    output = child.stdout + child.stderr
    assert output.count(REFUSAL.format(port=port)) == 1, child.describe()
    assert child.stderr.startswith(REFUSAL.format(port=port) + "\n"), child.describe()
    assert "Traceback" not in output
    assert REFUSAL.format(port=port) in gw.log_text()  # the file log still records it


@pytest_twisted.ensureDeferred
async def test_twistd_in_the_foreground_prints_the_message_alone(launcher):
    gw = launcher.install()
    gw.local()
    with _holder() as held:
        port = held.getsockname()[1]
        child = launcher.twistd(gw, "-n", "--pidfile=", "openclaw-gateway", "--port", str(port))
        assert await child.exited() == 1, child.describe()
    output = child.stdout + child.stderr
    assert output.count(REFUSAL.format(port=port)) == 1, child.describe()
    assert "Traceback" not in output and "StartupError" not in output, child.describe()
