"""
C{last-heartbeat}: the most recent agent heartbeat event. The agent runtime runs no
heartbeats yet, so there has been none and the answer is empty (as the reference
gateway answers before its first heartbeat). The Control UI also times this call
to show the gateway's latency.
"""

from __future__ import annotations

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


def register(registry: MethodRegistry, tree, shell) -> None:
    def last_heartbeat(params: dict, ctx: CallContext) -> None:
        return None

    registry.add("last-heartbeat", scopes.READ, last_heartbeat, closed())
