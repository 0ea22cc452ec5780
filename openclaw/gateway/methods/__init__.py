"""
The RPC method registry. Each family module (listed in C{tree.METHOD_FAMILIES}) defines
C{register(registry, tree, shell)} (the L{openclaw.gateway.tree.GatewayTree} it serves,
and the L{openclaw.gateway.tree.ShellAccess} callables of the process shell) and
adds C{name → Method(scope, handler, params)}; a handler receives C{(params, ctx)} and returns a value or a Deferred, or raises L{GatewayError}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from openclaw.protocol import scopes
from openclaw.protocol.errors import GatewayError, invalid_params, missing_scope, unknown_method
from openclaw.protocol.validation import Checker

Handler = Callable[[dict, "CallContext"], Any]


@dataclass(frozen=True)
class Method:
    scope: str
    handler: Handler
    #: Validates the params object against the method's JSON Schema.
    params: Checker


@dataclass(frozen=True)
class CallContext:
    """Who is calling: handed to every handler."""

    connId: str
    role: str
    scopes: tuple[str, ...]
    clientId: str
    clientMode: str
    #: The paired device the connection authenticated as (None without a device).
    deviceId: str | None = None
    #: The socket peer's address (rate limits of control-plane writes key on it).
    peerIp: str = ""


class MethodRegistry:
    def __init__(self) -> None:
        self._methods: dict[str, Method] = {}

    def add(self, name: str, scope: str, handler: Handler, params: Mapping[str, Any]) -> None:
        """Register C{name}; C{params} is the JSON Schema of its params object."""
        if name in self._methods:
            raise ValueError(f"method {name} registered twice")
        self._methods[name] = Method(scope, handler, Checker(params))

    def names(self) -> list[str]:
        return list(self._methods)

    def resolve(self, name: str, params: Any, ctx: CallContext) -> Method:
        """
        The method to run, after the scope check (which comes first, so an unknown
        method needs admin before it is reported as unknown) and params validation.
        """
        method = self._methods.get(name)
        required = method.scope if method else scopes.ADMIN
        if not scopes.satisfies(ctx.scopes, required):
            raise missing_scope(required)
        if method is None:
            raise unknown_method(name)
        problem = method.params(params)
        if problem is not None:
            raise invalid_params(name, problem)
        return method


def closed(**properties: Any) -> dict[str, Any]:
    """A closed params schema with only optional properties."""
    return {"type": "object", "properties": properties, "additionalProperties": False}


__all__ = ["CallContext", "GatewayError", "Method", "MethodRegistry", "closed"]
