"""
C{update.status}: what the operator should know about updates. This gateway never
checks for or installs updates, so it knows of no available update and has left no
update-restart sentinel: both are null, as the reference gateway answers before any
check has run.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


def register(registry: MethodRegistry, tree, shell) -> None:
    def status(params: dict, ctx: CallContext) -> dict[str, Any]:
        return {"sentinel": None, "updateAvailable": None}

    registry.add("update.status", scopes.ADMIN, status, closed(refreshCheckout={"type": "boolean"}))
