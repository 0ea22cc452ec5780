"""
The health state of one account snapshot, and which states count as unhealthy
(they make C{/readyz} fail).
"""

from __future__ import annotations

from typing import Any

STARTUP_GRACE_MS = 120_000
RECONNECT_GRACE_MS = 120_000
STALE_SOCKET_MS = 30 * 60_000

UNHEALTHY = frozenset({"not-running", "disconnected", "stale-socket", "stuck", "terminal-disconnect"})


def health_state(snapshot: dict[str, Any], nowMs: int, managed: bool) -> str:
    """C{healthy}, C{busy}, a grace, or why the account is not serving."""
    if not managed:
        return "unmanaged"
    if snapshot.get("terminal"):
        return "terminal-disconnect"
    if not snapshot.get("running"):
        return "not-running"
    if not snapshot.get("connected"):
        if snapshot.get("lastConnectedAt") is None:
            started = snapshot.get("lastStartAt") or nowMs
            return "startup-connect-grace" if nowMs - started < STARTUP_GRACE_MS else "disconnected"
        since = snapshot.get("lastDisconnectAt") or nowMs
        return "reconnect-grace" if nowMs - since < RECONNECT_GRACE_MS else "disconnected"
    activity = snapshot.get("lastTransportActivityAt")
    if activity is not None and nowMs - activity > STALE_SOCKET_MS:
        return "stale-socket"
    return "busy" if snapshot.get("busy") else "healthy"
