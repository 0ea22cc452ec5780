"""
What the run-starting methods (C{agent}, C{chat.*}) share: which agent and session
a request names, and params schemas that accept the published protocol's fields.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from openclaw.agents.runtarget import TargetError, run_target
from openclaw.protocol.errors import INVALID_REQUEST, GatewayError


def params_schema(required: Iterable[str], typed: Mapping[str, Any], ignored: Iterable[str]) -> dict[str, Any]:
    """
    A closed params schema: C{typed} properties are checked, C{ignored} ones (fields
    of the published protocol this gateway does not act on) are accepted as they come.
    """
    properties = {name: {} for name in ignored}
    properties.update(typed)
    return {"type": "object", "required": list(required), "properties": properties, "additionalProperties": False}


def resolve_target(runtime: Any, agentId: str | None, sessionKey: str | None) -> tuple[str, str]:
    """L{run_target} under the runtime's current settings, refused as C{INVALID_REQUEST}."""
    try:
        return run_target(runtime.settings, agentId, sessionKey)
    except TargetError as e:
        raise GatewayError(INVALID_REQUEST, str(e), e.details) from None
