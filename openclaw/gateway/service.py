"""
The gateway service tree, and the one factory every start path uses.

    from openclaw.gateway.service import Options, makeService
    options = Options()
    options.parseOptions(["--port", "18789"])
    makeService(options).setServiceParent(application)

C{twistd openclaw-gateway} and C{openclaw gateway} call the same factory with
C{ownsProcess=True}: then the service also answers SIGTERM/SIGINT and turns a
refused start into the runbook's message and exit code.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from typing import Any

from twisted.application.service import MultiService
from twisted.internet.error import CannotListenError
from twisted.logger import Logger
from twisted.python import usage

from openclaw.agents.runtime import AgentRuntime
from openclaw.channels.manager import ChannelManager
from openclaw.config.environ import config_environ
from openclaw import portowner
from openclaw.gateway import methods as _methods
from openclaw.gateway.health import HealthMonitor
from openclaw.gateway.hub import Hub
from openclaw.gateway.methods import system

#: The RPC method families; each module's C{register(registry, gateway)} adds its methods.
METHOD_FAMILIES = (system,)
from openclaw.gateway.settings import GatewaySettings, StartupError, resolve
from openclaw.gateway.site import make_port_factory
from openclaw.logs import LogSettings, LogSink

_log = Logger(namespace="gateway")


class Options(usage.Options):
    """The options of C{openclaw gateway} and C{twistd openclaw-gateway}."""

    synopsis = "[options]"
    optParameters = [
        ["port", None, None, "Port for WebSocket + HTTP (default: OPENCLAW_GATEWAY_PORT, gateway.port, 18789)."],
        ["bind", None, None, "Bind mode: loopback, lan, tailnet, auto or custom (default: gateway.bind, loopback)."],
        ["auth", None, None, "Auth mode override: none, token, password or trusted-proxy."],
        ["token", None, None, "Shared token clients must present (also exported as OPENCLAW_GATEWAY_TOKEN)."],
        ["password", None, None, "Shared password (prefer --password-file or OPENCLAW_GATEWAY_PASSWORD)."],
        ["password-file", None, None, "Read the shared password from this file."],
        ["log-level", None, None, "Log level for file and console: silent, fatal, error, warn, info, debug, trace."],
        ["ws-log", None, "auto", "WebSocket log: auto or compact (errors and slow calls), full (every response)."],
        ["tailscale", None, None, "Tailscale exposure: off (serve and funnel are not supported yet)."],
    ]
    optFlags = [
        ["allow-unconfigured", None, "Start even when gateway.mode is not local (writes nothing)."],
        ["dev", None, "Create a dev config and workspace when the config file is missing."],
        ["reset", None, "With --dev: delete the dev config, credentials, sessions and workspace first."],
        ["compact", None, "Same as --ws-log compact."],
        ["force", None, "Stop whatever listens on the port first, then start."],
        ["verbose", None, "Mirror debug logs and all WebSocket traffic to the console."],
    ]

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        super().__init__()
        self.environ = dict(os.environ if environ is None else environ)
        self.settings: GatewaySettings | None = None

    def postOptions(self) -> None:
        if self["password"]:
            sys.stderr.write(
                "Warning: --password can be exposed via process listings. "
                "Prefer --password-file or OPENCLAW_GATEWAY_PASSWORD.\n"
            )
        if self["token"]:
            self.environ["OPENCLAW_GATEWAY_TOKEN"] = self["token"]
        if self["compact"]:
            self["ws-log"] = "compact"

    def resolve(self) -> GatewaySettings:
        """Read config and environment into settings (raises L{StartupError})."""
        if self.settings is None:
            stateDir = _state_dir(self.environ)
            self.environ = config_environ(self.environ, stateDir, os.getcwd())
            self.settings = resolve(self, self.environ)
        return self.settings


def _state_dir(environ: dict[str, str]) -> str:
    from openclaw.paths import Paths

    return Paths.fromEnvironment(environ).stateDir


class GatewayService(MultiService):
    """
    Children start in order and stop in reverse: agents, channels, hub, health,
    and the listener last up / first down. The log sink brackets them all.
    """


    def __init__(self, options: Options, reactor: Any, ownsProcess: bool, clock: Any = None, console: bool = False) -> None:
        super().__init__()
        clock = reactor if clock is None else clock
        self._options = options
        self._reactor = reactor
        self._ownsProcess = ownsProcess
        self._ports: list[Any] = []
        self._stopping = False
        self.settings = settings = options.resolve()
        self.logSink = LogSink(
            LogSettings.fromConfig(
                settings.config,
                environ=options.environ,
                verbose=settings.verbose,
                console=console,
                logLevel=options["log-level"],
            ),
            environ=options.environ,
        )
        self.agents = AgentRuntime(settings.config, settings.paths.stateDir)
        self.agents.setServiceParent(self)
        self.channels = ChannelManager()
        self.channels.setServiceParent(self)
        registry = _methods.MethodRegistry()
        self.hub = Hub(settings, clock, registry, self.agents, self.channels)
        self.hub.setServiceParent(self)
        self.hub.health = HealthMonitor(
            clock, self.agents, self.channels, lambda: False, self.hub.healthCommitted
        )
        self.hub.health.setServiceParent(self)
        for family in METHOD_FAMILIES:
            family.register(registry, self)
        self.portFactory = make_port_factory(self.hub, reactor)

    # start ---------------------------------------------------------------------

    def privilegedStartService(self) -> None:
        self.logSink.startService()
        if self._ownsProcess:
            # Before the ready line: a supervisor may signal as soon as it sees it.
            self._installSignalHandlers()
        try:
            self._listen()
        except StartupError as e:
            _log.error("{message}", message=e.message)
            self.logSink.stopService()
            if self._ownsProcess:
                sys.stderr.write(e.message + "\n")
            # twistd reports an exception to the parent of a daemon and removes the
            # pidfile; openclaw gateway turns it into the exit code.
            raise
        super().privilegedStartService()

    def _listen(self) -> None:
        s = self.settings
        # The config was read before logging could start; the lines keep OpenClaw's order.
        _log.info("loading configuration… {path}", path=s.paths.configPath)
        for line in s.notices:
            _log.info("{line}", line=line)
        for line in s.warnings:
            _log.warn("{line}", line=line)
        if self._options["force"]:
            try:
                portowner.free_port(s.port, s.primaryHost, _log)
            except OSError as e:
                raise StartupError(
                    f"Could not free port {s.port}: {e}. Run openclaw gateway status --deep to inspect the listener.", 1
                )
        _log.info("resolving authentication… mode={mode}", mode=s.authMode)
        if s.authMode == "none":
            _log.warn("Gateway auth mode=none explicitly configured; all gateway connections are unauthenticated.")
        _log.info("starting...")
        port = s.port
        for index, host in enumerate(s.bindHosts):
            try:
                self._ports.append(self._reactor.listenTCP(port, self.portFactory, interface=host))
                port = self.port  # companions share the primary's port, even one the OS picked
            except CannotListenError as e:
                if index > 0:
                    _log.warn("could not also listen on {host}:{port}: {err}", host=host, port=s.port, err=e.socketError)
                    continue
                self._closePorts()
                raise StartupError(_bind_failure(s, host, e), 1)
        _log.info("listening on {url} (PID {pid})", url=self.url, pid=os.getpid())


    @property
    def port(self) -> int:
        """The bound port (useful with C{--port 0} in tests and embedding)."""
        return self._ports[0].getHost().port

    @property
    def url(self) -> str:
        host = self.settings.primaryHost
        return f"ws://{'[' + host + ']' if ':' in host else host}:{self.port}"

    # stop ----------------------------------------------------------------------

    def stopService(self):
        self._stopping = True
        d = super().stopService()  # the hub announces shutdown and closes every socket
        d.addBoth(self._afterStop)
        return d

    def _afterStop(self, result):
        self._closePorts()
        _log.info("gateway stopped")
        self.logSink.stopService()
        return result

    def _closePorts(self) -> None:
        for port in self._ports:
            port.stopListening()
        self._ports = []

    # signals (only when the service owns the process) --------------------------

    def _installSignalHandlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._onSignal)
        # reactor.run() installs reactor.sigTerm for SIGTERM (and leaves a SIGINT
        # handler that is not the default alone): make that one ours as well.
        self._reactor.sigTerm = self._onSignal

    def _onSignal(self, signum: int, frame: Any) -> None:
        self._reactor.callFromThread(self._stopForSignal, signal.Signals(signum).name)

    def _stopForSignal(self, name: str) -> None:
        if self._stopping:
            _log.info("received {sig} during shutdown; ignoring", sig=name)
            return
        self._stopping = True
        _log.info("received {sig}; shutting down", sig=name)
        self._reactor.stop()


def _bind_failure(settings: GatewaySettings, host: str, error: CannotListenError) -> str:
    shown = f"[{host}]" if ":" in host else host
    url = f"ws://{shown}:{settings.port}"
    if getattr(error.socketError, "errno", None) == errno.EADDRINUSE:
        lines = [
            f"Gateway failed to start: another gateway instance is already listening on {url}",
            "If the gateway is supervised, stop it with: openclaw gateway stop",
            f"EADDRINUSE: address already in use {host}:{settings.port}",
            *portowner.describe(settings.port),
        ]
        return "\n".join(lines)
    return f"Gateway failed to start: failed to bind gateway socket on {url}: {error.socketError}"


def makeService(
    options: Options, reactor: Any = None, ownsProcess: bool = False, clock: Any = None, console: bool = False
) -> GatewayService:
    """
    The gateway as an C{IService}. Raises L{StartupError} when the configuration
    refuses to start (unless C{ownsProcess}, which prints it and exits instead).
    C{clock} drives the gateway's timers (default: the reactor); tests pass a
    L{twisted.internet.task.Clock}. C{console} adds the gateway's own readable
    console log (C{openclaw gateway}; under twistd, twistd's log observer does that).
    """
    if reactor is None:
        from twisted.internet import reactor
    try:
        return GatewayService(options, reactor, ownsProcess, clock, console)
    except StartupError as e:
        if not ownsProcess:
            raise
        sys.stderr.write(e.message + "\n")
        raise SystemExit(e.exitCode)
