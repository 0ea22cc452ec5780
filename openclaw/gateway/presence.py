"""
Presence: the gateway's own entry plus one per UI or node client, kept for five
minutes after the client's last connect or disconnect.
"""

from __future__ import annotations

import platform
import socket
from typing import Any, Mapping

from twisted.internet.interfaces import IReactorTime

from openclaw import VERSION

ENTRY_TTL = 300.0
MAX_ENTRIES = 200
#: Client modes that appear in presence (the CLI and backend helpers do not).
PRESENCE_MODES = frozenset({"webchat", "ui", "node"})


def _primary_ip() -> str:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def _ms(clock: IReactorTime) -> int:
    return int(clock.seconds() * 1000)


class Presence:
    def __init__(self, clock: IReactorTime, instanceId: str) -> None:
        self._clock = clock
        host = socket.gethostname()
        ip = _primary_ip()
        self._self = {
            "host": host,
            "ip": ip,
            "version": VERSION,
            "platform": f"{platform.system().lower()} {platform.release()}",
            "deviceFamily": platform.system(),
            "mode": "gateway",
            "reason": "self",
            "instanceId": instanceId,
            "text": f"Gateway: {host} ({ip}) · app {VERSION} · mode gateway · reason self",
        }
        self._clients: dict[str, dict[str, Any]] = {}
        self._sockets: dict[str, str] = {}  # entry key → the socket that owns it now

    @staticmethod
    def tracks(client: Mapping[str, Any]) -> bool:
        return client["mode"] in PRESENCE_MODES

    @staticmethod
    def key(connId: str, client: Mapping[str, Any]) -> str:
        """A reconnecting client replaces its old entry: key by instance, else socket."""
        return client.get("instanceId") or connId

    def connected(self, connId: str, client: Mapping[str, Any], role: str, scopes: list[str], deviceId: str | None) -> None:
        now = _ms(self._clock)
        entry = {
            "host": client.get("displayName") or client["id"],
            "version": client["version"],
            "platform": client["platform"],
            "mode": client["mode"],
            "roles": [role],
            "scopes": scopes,
            "instanceId": client.get("instanceId") or connId,
            "onlineSince": now,
            "reason": "connect",
            "ts": now,
            "text": f"{'Node' if role == 'node' else 'Client'}: {client.get('displayName') or client['id']} · mode {client['mode']}",
        }
        for key in ("deviceFamily", "modelIdentifier", "timeZone"):
            if client.get(key):
                entry[key] = client[key]
        if deviceId:
            entry["deviceId"] = deviceId
        key = self.key(connId, client)
        self._clients[key] = entry
        self._sockets[key] = connId

    def disconnected(self, connId: str, client: Mapping[str, Any]) -> bool:
        key = self.key(connId, client)
        if self._sockets.get(key) != connId:
            return False  # unknown, or the same instance has reconnected on a newer socket
        entry = self._clients[key]
        entry.update(reason="disconnect", ts=_ms(self._clock))
        return True

    def entries(self) -> list[dict[str, Any]]:
        now = _ms(self._clock)
        horizon = now - ENTRY_TTL * 1000
        for key in [k for k, e in self._clients.items() if e["reason"] == "disconnect" and e["ts"] < horizon]:
            del self._clients[key]
            del self._sockets[key]
        recent = sorted(self._clients.values(), key=lambda e: e["ts"], reverse=True)[: MAX_ENTRIES - 1]
        return [dict(self._self, ts=now), *recent]
