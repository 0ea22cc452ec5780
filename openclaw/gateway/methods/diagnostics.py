"""C{diagnostics.stability}: what the gateway's stability recorder holds."""

from __future__ import annotations

from typing import Any

from openclaw.gateway.diagnostics import CAPACITY, DEFAULT_LIMIT
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


def register(registry: MethodRegistry, tree, shell) -> None:
    recorder = tree.hub.diagnostics

    def stability(params: dict, ctx: CallContext) -> dict[str, Any]:
        kind = params.get("type")
        return recorder.snapshot(
            type=kind.strip() if kind else None,
            limit=params.get("limit", DEFAULT_LIMIT),
            sinceSeq=params.get("sinceSeq"),
        )

    registry.add(
        "diagnostics.stability",
        scopes.READ,
        stability,
        closed(
            type={"type": "string", "pattern": r"\S"},
            limit={"type": "integer", "minimum": 1, "maximum": CAPACITY},
            sinceSeq={"type": "integer", "minimum": 0},
        ),
    )
