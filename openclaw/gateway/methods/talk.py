"""
C{talk.catalog}: the voice modes, transports and speech providers a client may use
for talk sessions. This gateway has no voice support, so it offers none of them:
every list is empty and nothing is ready (the reference gateway's answer shape with
no talk provider available).
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


def register(registry: MethodRegistry, tree, shell) -> None:
    def catalog(params: dict, ctx: CallContext) -> dict[str, Any]:
        unavailable = {"ready": False, "providers": []}
        return {
            "modes": [],
            "transports": [],
            "brains": [],
            "speech": dict(unavailable),
            "transcription": dict(unavailable),
            "realtime": dict(unavailable),
        }

    registry.add("talk.catalog", scopes.READ, catalog, closed())
