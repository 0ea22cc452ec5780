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
from twisted.internet.defer import Deferred, DeferredList, ensureDeferred, maybeDeferred
from twisted.internet.error import CannotListenError
from twisted.logger import Logger
from twisted.python import usage

from openclaw.agents.runtime import AgentRuntime
from openclaw.channels.manager import ChannelManager
from openclaw.config.environ import config_environ
from openclaw.config.load import ConfigSource, load_source
from openclaw import portowner
from openclaw.gateway import methods as _methods
from openclaw.gateway.breaker import CrashLoopBreaker
from openclaw.gateway.drain import drain, drain_budget_ms
from openclaw.gateway.health import HealthMonitor
from openclaw.gateway.hub import Hub
from openclaw.gateway.pairing import PairingStore
from openclaw.gateway.methods import channels, config, devices, diagnostics, doctor, heartbeat, logs, secrets, system

#: The RPC method families; each module's C{register(registry, gateway)} adds its methods.
METHOD_FAMILIES = (system, logs, channels, diagnostics, doctor, devices, config, secrets, heartbeat)
from openclaw.gateway.reload import RESTART_EXPECTED_MS, ReloadController
from openclaw.gateway.settings import GatewaySettings, StartupError, build, resolve
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
    Children start in order and stop in reverse: agents, channels, pairing, hub, health,
    and the listener last up / first down. The log sink brackets them all.
    """


    def __init__(self, options: Options, reactor: Any, ownsProcess: bool, clock: Any = None, console: bool = False) -> None:
        super().__init__()
        self._clock = reactor if clock is None else clock
        self._options = options
        self._reactor = reactor
        self._ownsProcess = ownsProcess
        self._console = console
        self._ports: list[Any] = []
        self._stopping = False
        #: 1 once a failed restart left no tree running: the process then ends non-zero.
        self._exitCode = 0
        settings = options.resolve()
        self.logSink = LogSink(self.logSettings(settings), environ=options.environ)
        self.breaker = CrashLoopBreaker(settings.paths.stateDir, self._clock, reactor)
        #: Outlives restarts: watcher, restart cooldown, in-flight work.
        self.reload = ReloadController(self, self._clock)
        self._build(settings)

    def logSettings(self, settings: GatewaySettings) -> LogSettings:
        return LogSettings.fromConfig(
            settings.config,
            environ=self._options.environ,
            verbose=settings.verbose,
            console=self._console,
            logLevel=self._options["log-level"],
        )

    def _build(self, settings: GatewaySettings) -> None:
        """
        The part of the tree an in-process restart replaces: every child service,
        the method registry and the port factory, all from C{settings}.
        """
        clock = self._clock
        self.settings = settings
        self.agents = AgentRuntime(settings.config, settings.paths.stateDir)
        self.agents.setServiceParent(self)
        self.channels = ChannelManager()
        self.breaker.guard(self.channels)  # before it is parented: a tripped breaker holds it back
        self.channels.setServiceParent(self)
        registry = _methods.MethodRegistry()
        pairing = PairingStore(settings.paths.stateDir, clock)
        pairing.setServiceParent(self)  # up before the hub, down after it
        self.hub = Hub(settings, clock, registry, self.agents, self.channels)
        self.hub.pairing = pairing
        self.hub.setServiceParent(self)
        self.hub.health = HealthMonitor(
            clock, self.agents, self.channels, lambda: self.reload.watching, self.hub.healthCommitted
        )
        self.hub.health.setServiceParent(self)
        for family in METHOD_FAMILIES:
            family.register(registry, self)
        self.portFactory = make_port_factory(self.hub, self._reactor)

    # start ---------------------------------------------------------------------

    def privilegedStartService(self) -> None:
        self.logSink.startService()
        if self._ownsProcess:
            # Before the ready line: a supervisor may signal as soon as it sees it.
            self._installSignalHandlers()
        try:
            self._recordBoot()
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

    def _recordBoot(self) -> None:
        # Before the bind: a start that fails from here on counts as an unclean boot.
        try:
            self.breaker.boot(self.channels)
        except OSError as e:
            _log.warn("could not record this boot in {path}: {err}", path=self.breaker.history.path, err=e)

    def startService(self) -> None:
        self.reload.start()  # first: health reports whether it watches
        super().startService()

    def _listen(self, port: int | None = None, startup: bool = True) -> None:
        """
        Bind C{settings.port}, or C{port} (a restart keeping the port it had). Only at
        C{startup} (before the reactor runs) may it block: C{--force} frees the port and a
        busy port names its holder.
        """
        s = self.settings
        # The config was read before logging could start; the lines keep OpenClaw's order.
        _log.info("loading configuration… {path}", path=s.paths.configPath)
        for line in s.notices:
            _log.info("{line}", line=line)
        for line in s.warnings:
            _log.warn("{line}", line=line)
        if self._options["force"] and startup:
            try:
                portowner.free_port(s.port, s.primaryHost, _log, grace=drain_budget_ms(self._options.environ) / 1000)
            except OSError as e:
                raise StartupError(
                    f"Could not free port {s.port}: {e}. Run openclaw gateway status --deep to inspect the listener.", 1
                )
        _log.info("resolving authentication… mode={mode}", mode=s.authMode)
        if s.authMode == "none":
            _log.warn("Gateway auth mode=none explicitly configured; all gateway connections are unauthenticated.")
        _log.info("starting...")
        port = s.port if port is None else port
        for index, host in enumerate(s.bindHosts):
            try:
                self._ports.append(self._reactor.listenTCP(port, self.portFactory, interface=host))
                port = self.port  # companions share the primary's port, even one the OS picked
            except CannotListenError as e:
                if index > 0:
                    _log.warn("could not also listen on {host}:{port}: {err}", host=host, port=s.port, err=e.socketError)
                    continue
                self._closePorts()
                raise StartupError(_bind_failure(s, host, e, startup), 1)
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
        self.reload.stop()
        self.breaker.stop()
        self.hub.accepting = False  # no new clients while in-flight work drains
        d = self.reload.settled()  # a restart under way ends first (it binds nothing once stopping)
        d.addCallback(lambda _: drain(self.reload.inFlight, self._clock, drain_budget_ms(self._options.environ)))
        d.addCallback(lambda _: self._closePorts())  # before the children: no request meets a stopped store
        d.addCallback(lambda _: super(GatewayService, self).stopService())  # shutdown event, close 1012
        d.addBoth(self._afterStop)
        return d

    def _afterStop(self, result):
        if self._exitCode:  # not a clean stop: the boot stays unclean for the crash-loop breaker
            return self._stopped(result)
        d = self.breaker.ended()
        d.addErrback(lambda f: _log.warn("could not record the clean stop: {err}", err=f.getErrorMessage()))
        d.addCallback(lambda _: self._stopped(result))
        return d

    def _stopped(self, result):
        _log.info("gateway stopped")
        self.logSink.stopService()
        return result

    def _closePorts(self) -> Deferred:
        closing = [maybeDeferred(port.stopListening) for port in self._ports]
        self._ports = []
        return DeferredList(closing, consumeErrors=True)

    # reload and in-process restart (driven by self.reload) -----------------------

    @property
    def environ(self) -> dict[str, str]:
        """The environment the config was read against (process, dotenv files)."""
        return self._options.environ

    def settingsFor(
        self, source: ConfigSource | None, persist: bool = True, runtimeToken: str | None = None
    ) -> GatewaySettings:
        """
        Settings for a loaded config, by the start-up rules (flags, secrets, security
        checks; raises L{StartupError}). Validating a config that is not on disk yet
        passes C{persist=False}: a generated token is then never written to the file.
        Blocking: run it in a thread.
        """
        s = self.settings
        return build(
            self._options, self._options.environ, s.paths, source, runtimeToken=runtimeToken or s.token, persist=persist
        )

    def loadSettings(self) -> GatewaySettings:
        """Read the config file into new settings, as start-up would (blocking)."""
        return self.settingsFor(load_source(self.settings.paths.configPath, self._options.environ))

    def rebuildSettings(self, settings: GatewaySettings | None = None) -> GatewaySettings:
        """
        The config of C{settings} (default: the running one) with its SecretRefs
        resolved again; no file read or write (blocking).
        """
        s = self.settings if settings is None else settings
        source = None if s.configHash is None else ConfigSource(
            s.paths.configPath, dict(s.config), s.includedFiles, s.configHash, s.configDigest
        )
        return self.settingsFor(source, persist=False, runtimeToken=s.token if s.tokenGenerated else None)

    def restart(self, settings: GatewaySettings) -> Deferred:
        """
        Restart the tree in-process from C{settings}: close the listener, announce
        C{shutdown} (restarting) and close every client with 1012, stop the children,
        build them again and bind the same port (a new one only when the port
        setting changed). If the new tree cannot start, the old settings come back;
        if they cannot either, the gateway stops (see L{_abandon}). Fires with the
        URL listened on, or None when the gateway stopped meanwhile.
        """
        return ensureDeferred(self._restart(settings))

    async def _restart(self, settings: GatewaySettings) -> str | None:
        old = self.settings
        bound = self.port if self._ports else None
        await self._closePorts()
        await self.hub.shutdown("gateway restarting", RESTART_EXPECTED_MS)
        await self._stopTree()
        if self._stopping:  # stopService finishes the job: nothing binds again
            return None
        try:
            self._startTree(settings, bound if settings.port == old.port else None)
            return self.url
        except Exception as e:
            _log_start_failure("config restart failed", e)
        await self._stopTree()
        await self._closePorts()
        if self._stopping:
            return None
        try:
            self._startTree(old, bound)
            return self.url
        except Exception:
            self._abandon()
            raise

    async def _stopTree(self) -> None:
        for child in reversed(list(self)):
            await maybeDeferred(child.disownServiceParent)

    def _startTree(self, settings: GatewaySettings, port: int | None) -> None:
        self._build(settings)  # we are running: each child starts as it is added
        self._listen(port, startup=False)

    def _abandon(self) -> None:
        """
        Neither the new nor the previous config could start again, so nothing listens:
        stop, and (owning the process) exit 1 so a supervisor starts a fresh process.
        """
        self._exitCode = 1
        _log.error("gateway restart failed and the previous config did not start again; stopping the gateway")
        if self._ownsProcess:
            self._reactor.addSystemEventTrigger("after", "shutdown", _exit, self._exitCode)
            self._reactor.stop()
        else:
            self.stopService().addErrback(lambda f: _log.failure("gateway stop failed", f))

    # signals (only when the service owns the process) --------------------------

    def _installSignalHandlers(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._onSignal)
        for sig in (signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, self._onRestartSignal)
        # reactor.run() installs reactor.sigTerm for SIGTERM (and leaves a SIGINT
        # handler that is not the default alone): make that one ours as well.
        self._reactor.sigTerm = self._onSignal

    def _onSignal(self, signum: int, frame: Any) -> None:
        self._reactor.callFromThread(self._stopForSignal, signal.Signals(signum).name)

    def _onRestartSignal(self, signum: int, frame: Any) -> None:
        self._reactor.callFromThread(self.reload.signalled, signum)

    def _stopForSignal(self, name: str) -> None:
        if self._stopping:
            _log.info("received {sig} during shutdown; ignoring", sig=name)
            return
        self._stopping = True
        _log.info("received {sig}; shutting down", sig=name)
        self._reactor.stop()


def _log_start_failure(what: str, error: Exception) -> None:
    """Log why a tree did not start (inside the C{except}): a refusal by its text, anything else with its traceback."""
    if isinstance(error, StartupError):
        _log.error("{what}: {message}", what=what, message=error.message)
    else:
        _log.failure("{what}: {err}", what=what, err=error)


def _exit(code: int) -> None:
    """End the process with C{code} once the reactor has shut down (logs written)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


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
