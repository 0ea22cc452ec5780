"""C{secrets.reload}: resolve every active SecretRef again and swap the snapshot at once."""

from __future__ import annotations


from openclaw.config.secrets import SecretResolutionError
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes
from openclaw.protocol.errors import UNAVAILABLE, GatewayError


def register(registry: MethodRegistry, tree, shell) -> None:
    def reload(params: dict, ctx: CallContext):
        def failed(failure) -> None:
            failure.trap(SecretResolutionError)  # logged by the controller; the detail stays there
            raise GatewayError(UNAVAILABLE, "secrets.reload failed")

        d = shell.reloadSecrets()
        return d.addCallbacks(lambda warnings: {"ok": True, "warningCount": warnings}, failed)

    registry.add("secrets.reload", scopes.ADMIN, reload, closed())


