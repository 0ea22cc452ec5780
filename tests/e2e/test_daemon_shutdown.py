"""
The end of a supervised gateway's life: a second signal while the shutdown is under
way is logged and ignored, and the stop is still clean (exit 0, boot marked clean).
"""

from __future__ import annotations

import base64
import json
import os
import socket

import pytest_twisted


def _silent_websocket(port: int) -> socket.socket:
    """
    A WebSocket peer that completes the upgrade and then never reads nor answers the
    close, so the gateway's shutdown waits its close grace (2 s) for it.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    return sock


@pytest_twisted.ensureDeferred
async def test_a_second_signal_during_shutdown_is_logged_and_ignored(launcher):
    gw = launcher.install()
    gw.local()
    gateway = launcher.openclaw(gw, "gateway", "--port", "0")
    port = await launcher.listening(gateway)
    peer = _silent_websocket(port)
    try:
        gateway.signal("TERM")
        await gateway.line("received SIGTERM; shutting down", "stdout")
        gateway.signal("INT")  # the silent peer keeps the shutdown open for its close grace
        assert await gateway.exited() == 0, gateway.describe()
    finally:
        peer.close()
    messages = [r["message"] for r in gw.log_records()]
    assert "received SIGINT during shutdown; ignoring" in messages
    assert messages.index("received SIGINT during shutdown; ignoring") < messages.index("gateway stopped")
    boots = json.loads((gw.stateDir / "gateway" / "boots.json").read_text())["boots"]
    assert boots[-1]["pid"] == gateway.pid and boots[-1]["clean"] is True
