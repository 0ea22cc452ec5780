"""The twistd entry: C{twistd openclaw-gateway} owns its process, like C{openclaw gateway}."""

from openclaw.gateway.service import GatewayService, Options, makeService as _make


def makeService(options: Options) -> GatewayService:
    return _make(options, ownsProcess=True)


__all__ = ["Options", "makeService"]
