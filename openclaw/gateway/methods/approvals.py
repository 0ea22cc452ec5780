"""
C{exec.approval.list}, C{plugin.approval.list}, C{openclaw.approval.list}: the
approval requests waiting for an operator. Approvals are asked for by tools and
plugins before they act; this gateway runs neither yet, so nothing ever waits and
each list is empty (the reference gateway's answer when no request is pending).
"""

from __future__ import annotations

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes

#: The kinds of approval the protocol lists, one method each.
KINDS = ("exec", "plugin", "openclaw")


def register(registry: MethodRegistry, tree, shell) -> None:
    def pending(params: dict, ctx: CallContext) -> list:
        return []

    for kind in KINDS:
        registry.add(f"{kind}.approval.list", scopes.APPROVALS, pending, closed())
