"""
C{logs.tail}: the gateway's own file log, read in the caller's share of the thread pool
(so a client pipelining reads of a big log waits for itself, not everybody else, and
reads it queued are never done once it has gone), for operators anywhere.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.logs.tail import DEFAULT_LIMIT, DEFAULT_MAX_BYTES, MAX_LIMIT, MAX_MAX_BYTES, read_tail
from openclaw.protocol import scopes
from openclaw.protocol.errors import UNAVAILABLE, GatewayError


def register(registry: MethodRegistry, tree, shell) -> None:
    sink = shell.logSink

    def tail(params: dict, ctx: CallContext):
        family = sink.family()  # the settings of now, also after a reload
        patterns = sink.settings.redactPatterns

        def read() -> dict[str, Any]:
            return read_tail(
                family.newest(),
                params.get("cursor"),
                params.get("limit", DEFAULT_LIMIT),
                params.get("maxBytes", DEFAULT_MAX_BYTES),
                patterns,
            )

        def failed(failure):
            failure.trap(OSError)
            raise GatewayError(UNAVAILABLE, f"log read failed: {failure.value}")

        return ctx.inThread(read).addErrback(failed)

    registry.add(
        "logs.tail",
        scopes.READ,
        tail,
        closed(
            cursor={"type": "integer", "minimum": 0},
            limit={"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            maxBytes={"type": "integer", "minimum": 1, "maximum": MAX_MAX_BYTES},
        ),
    )
