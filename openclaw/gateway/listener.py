"""
Where the gateway listens. L{BindModeListener} is the normal path: TCP on the bind
mode's hosts (a C{::1} companion beside 127.0.0.1, C{--port 0}, C{--force}, the
runbook's busy-port texts). L{EndpointListener} takes an endpoint description
(C{unix:}, C{systemd:}, C{ssl:} …) or an C{IStreamServerEndpoint} from an embedding
application. Both bind at once or raise L{StartupError}, so nothing starts on a
port that is not there, and both can listen again after a restart.
"""

from __future__ import annotations

import errno
from typing import Any

from twisted.internet.defer import Deferred, DeferredList, maybeDeferred
from twisted.internet.endpoints import serverFromString
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IStreamServerEndpoint
from twisted.logger import Logger
from twisted.python.failure import Failure

from openclaw import portowner
from openclaw.settings import GatewaySettings, StartupError

_log = Logger(namespace="gateway")


class _Ports:
    """The listening ports of one listener; closing them forgets them."""

    def __init__(self) -> None:
        self.ports: list[Any] = []

    @property
    def bound(self) -> bool:
        return bool(self.ports)

    def close(self) -> Deferred:
        closing = [maybeDeferred(port.stopListening) for port in self.ports]
        self.ports = []
        return DeferredList(closing, consumeErrors=True)


class BindModeListener(_Ports):
    """TCP on C{settings.bindHosts}; a restart keeps the port it had unless the port setting changed."""

    def __init__(self, reactor: Any, force: bool = False, forceGrace: float = portowner.ANSWER_SECONDS) -> None:
        super().__init__()
        self._reactor = reactor
        self._force = force
        #: How long C{--force} lets a gateway that is already stopping cleanly finish.
        self._forceGrace = forceGrace
        self._host = ""
        #: (configured port, bound port) of the last successful listen.
        self._last: tuple[int, int] | None = None

    def listen(self, settings: GatewaySettings, factory: Any, startup: bool) -> None:
        """
        Bind, or raise L{StartupError}. Only at C{startup} (before the reactor runs)
        may it block: C{--force} frees the port and a busy port names its holder.
        """
        if self._force and startup:
            try:
                portowner.free_port(settings.port, settings.primaryHost, _log, grace=self._forceGrace)
            except OSError as e:
                raise StartupError(
                    f"Could not free port {settings.port}: {e}. "
                    "Run openclaw gateway status --deep to inspect the listener.", 1
                )
        port = settings.port
        if self._last is not None and self._last[0] == settings.port:
            port = self._last[1]  # e.g. the port the OS picked for --port 0
        for index, host in enumerate(settings.bindHosts):
            try:
                self.ports.append(self._reactor.listenTCP(port, factory, interface=host))
                port = self.port  # companions share the primary's port, even one the OS picked
            except CannotListenError as e:
                if index > 0:
                    _log.warn("could not also listen on {host}:{port}: {err}", host=host, port=port, err=e.socketError)
                    continue
                self.close()
                raise StartupError(_bind_failure(settings, host, e, startup), 1)
        self._host = settings.primaryHost
        self._last = (settings.port, self.port)

    @property
    def port(self) -> int:
        return self.ports[0].getHost().port

    @property
    def url(self) -> str:
        host = self._host
        return f"ws://{'[' + host + ']' if ':' in host else host}:{self.port}"


class EndpointListener(_Ports):
    """One endpoint, from a description or given; it must bind at once (as tcp, unix, ssl and systemd do)."""

    def __init__(self, reactor: Any, endpoint: str | IStreamServerEndpoint) -> None:
        super().__init__()
        if isinstance(endpoint, str):
            self.description = endpoint
            try:
                endpoint = serverFromString(reactor, endpoint)
            except (ValueError, TypeError, KeyError) as e:
                raise StartupError(f"Invalid listen endpoint {endpoint!r}: {e}", 1) from None
        else:
            self.description = repr(endpoint)
        self._endpoint = endpoint

    def listen(self, settings: GatewaySettings, factory: Any, startup: bool) -> None:
        outcome: list[Any] = []
        d = self._endpoint.listen(factory)
        d.addBoth(outcome.append)
        if not outcome:
            d.cancel()
            raise StartupError(f"Gateway failed to start: {self.description} did not bind at once", 1)
        result = outcome[0]
        if isinstance(result, Failure):
            raise StartupError(
                f"Gateway failed to start: could not listen on {self.description}: {result.getErrorMessage()}", 1
            )
        self.ports.append(result)

    @property
    def port(self) -> int | None:
        """The TCP port, or None for an endpoint without one (a UNIX socket)."""
        return getattr(self.ports[0].getHost(), "port", None)

    @property
    def url(self) -> str:
        address = self.ports[0].getHost()
        if hasattr(address, "port"):
            host = address.host
            return f"ws://{'[' + host + ']' if ':' in host else host}:{address.port}"
        return f"ws+unix://{address.name.decode() if isinstance(address.name, bytes) else address.name}"


def _bind_failure(settings: GatewaySettings, host: str, error: CannotListenError, scan: bool) -> str:
    """The refusal text; with C{scan} (start-up only: it blocks) it names the port's holder."""
    shown = f"[{host}]" if ":" in host else host
    url = f"ws://{shown}:{settings.port}"
    if getattr(error.socketError, "errno", None) == errno.EADDRINUSE:
        lines = [
            f"Gateway failed to start: another gateway instance is already listening on {url}",
            "If the gateway is supervised, stop it with: openclaw gateway stop",
            f"EADDRINUSE: address already in use {host}:{settings.port}",
            *(portowner.describe(settings.port) if scan else ()),
        ]
        return "\n".join(lines)
    return f"Gateway failed to start: failed to bind gateway socket on {url}: {error.socketError}"


__all__ = ["BindModeListener", "EndpointListener"]
