"""
The gateway's process shell, and the one factory every start path uses.

    from openclaw.gateway.service import Options, makeService
    options = Options()
    options.parseOptions(["--port", "18789"])
    makeService(options).setServiceParent(application)

The shell (L{GatewayService}) outlives restarts: log sink, crash-loop breaker, reload
controller and listener. Under it runs one L{GatewayTree} built from one settings
snapshot; an in-process restart swaps the tree. Signals and exit codes belong to
whoever owns the process (L{openclaw.gateway.process}); an embedding application
owns them itself.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import Any, Callable

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred, ensureDeferred, maybeDeferred
from twisted.internet.interfaces import IStreamServerEndpoint
from twisted.logger import Logger
from twisted.python import usage
from zope.interface import implementer

from openclaw.config.environ import config_environ
from openclaw.config.load import ConfigSource, load_source
from openclaw.gateway.breaker import CrashLoopBreaker
from openclaw.gateway.drain import drain, drain_budget_ms
from openclaw.gateway.listener import BindModeListener, EndpointListener
from openclaw.gateway.reload import RESTART_EXPECTED_MS, ReloadController
from openclaw.settings import GatewaySettings, StartupError, build, resolve
from openclaw.gateway.tree import GatewayTree, ShellAccess
from openclaw.logs import LogSettings, LogSink
from openclaw.reloadable import ISettingsConsumer

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


@implementer(ISettingsConsumer)
class GatewayService(MultiService):
    """
    The process shell: the log sink brackets everything, the reload controller and
    the crash-loop breaker outlive every tree, and the listener binds before the
    tree starts and closes before it stops.

    @ivar tree: the running L{GatewayTree}.
    @ivar onAbandon: called when neither the new nor the previous config could start
        again after a restart (default: stop this service). A process owner ends
        the process instead.
    @ivar reportRefusal: None, or called with the L{StartupError} of a refused start
        by a process owner that shows it to the user itself (the log file still
        records it; the console does not repeat it).
    """

    sections = frozenset({"logging"})

    def __init__(
        self,
        options: Options,
        reactor: Any,
        clock: Any = None,
        console: bool = False,
        endpoint: str | IStreamServerEndpoint | None = None,
    ) -> None:
        super().__init__()
        self._clock = reactor if clock is None else clock
        self._options = options
        self._reactor = reactor
        self._console = console
        self._stopping = False
        #: 1 once a failed restart left no tree running: the process then ends non-zero.
        self.exitCode = 0
        self.onAbandon: Callable[[], None] = self._stopAbandoned
        self.reportRefusal: Callable[[StartupError], None] | None = None
        self.settings = settings = options.resolve()
        self.logSink = LogSink(self.logSettings(settings), environ=options.environ)
        self.breaker = CrashLoopBreaker(settings.paths.stateDir, self._clock, reactor)
        self.listener = BindModeListener(reactor, options["force"], drain_budget_ms(options.environ) / 1000) if endpoint is None else EndpointListener(reactor, endpoint)
        #: Outlives restarts: watcher, restart cooldown, in-flight work.
        self.reload = ReloadController(
            self._clock,
            current=lambda: self.settings,
            load=lambda: self.loadSettings(),
            rebuild=lambda settings: self.rebuildSettings(settings),
            restart=self.restart,
            consumers=lambda: (self, self.tree),
        )
        self._access = ShellAccess(
            environ=options.environ,
            settingsFor=self.settingsFor,
            writeConfig=self.reload.write,
            requestRestart=self.reload.requestRestart,
            reloadSecrets=self.reload.reloadSecrets,
            reloadWatching=lambda: self.reload.watching,
            logSink=self.logSink,
            trackWork=self.reload.track,
        )
        self.tree = self._newTree(settings)
        self.tree.setServiceParent(self)

    def logSettings(self, settings: GatewaySettings) -> LogSettings:
        """The snapshot's log settings, with the console this process asked for."""
        return replace(settings.logging, console=self._console)

    def _newTree(self, settings: GatewaySettings) -> GatewayTree:
        """A tree for C{settings}, not started yet; a tripped breaker holds its channels back."""
        tree = GatewayTree(settings, self._reactor, self._clock, self._access)
        self.breaker.guard(tree.channels)
        return tree

    def applySettings(self, settings: GatewaySettings, changedSections: frozenset[str]) -> bool:
        self.settings = settings
        if "logging" in changedSections:
            self.logSink.apply(self.logSettings(settings))
        return True

    @property
    def hub(self):
        return self.tree.hub

    @property
    def channels(self):
        return self.tree.channels

    @property
    def environ(self) -> dict[str, str]:
        """The environment the config was read against (process, dotenv files)."""
        return self._options.environ

    @property
    def stopping(self) -> bool:
        return self._stopping

    # start ---------------------------------------------------------------------

    def privilegedStartService(self) -> None:
        self.logSink.startService()
        try:
            self._recordBoot()
            self._listen(startup=True)
        except StartupError as e:
            self._refused(e)
            self.logSink.stopService()
            # twistd reports an exception to the parent of a daemon and removes the
            # pidfile; openclaw gateway turns it into the exit code.
            raise
        super().privilegedStartService()

    def _refused(self, error: StartupError) -> None:
        if self.reportRefusal is None:
            _log.error("{message}", message=error.message)
            return
        fileLog = self.logSink.fileObserver
        if fileLog is not None:
            Logger(namespace="gateway", observer=fileLog).error("{message}", message=error.message)
        self.reportRefusal(error)

    def _recordBoot(self) -> None:
        # Before the bind: a start that fails from here on counts as an unclean boot.
        try:
            self.breaker.boot(self.channels)
        except OSError as e:
            _log.warn("could not record this boot in {path}: {err}", path=self.breaker.history.path, err=e)

    def startService(self) -> None:
        self.reload.start()  # first: health reports whether it watches
        super().startService()

    def _listen(self, startup: bool) -> None:
        """Bind for the running tree. Only at C{startup} (before the reactor runs) may it block."""
        s = self.settings
        # The config was read before logging could start; the lines keep OpenClaw's order.
        _log.info("loading configuration… {path}", path=s.paths.configPath)
        for line in s.notices:
            _log.info("{line}", line=line)
        for line in s.warnings:
            _log.warn("{line}", line=line)
        _log.info("resolving authentication… mode={mode}", mode=s.authMode)
        if s.authMode == "none":
            _log.warn("Gateway auth mode=none explicitly configured; all gateway connections are unauthenticated.")
        _log.info("starting...")
        self.listener.listen(s, self.tree.portFactory, startup)
        _log.info("listening on {url} (PID {pid})", url=self.url, pid=os.getpid())

    @property
    def port(self) -> int | None:
        """The bound TCP port (useful with C{--port 0} in tests and embedding)."""
        return self.listener.port

    @property
    def url(self) -> str:
        return self.listener.url

    # stop ----------------------------------------------------------------------

    def stopService(self):
        self._stopping = True
        self.reload.stop()
        self.breaker.stop()
        self.hub.accepting = False  # no new clients while in-flight work drains
        d = self.reload.settled()  # a restart under way ends first (it binds nothing once stopping)
        d.addCallback(lambda _: drain(self.reload.inFlight, self._clock, drain_budget_ms(self._options.environ)))
        d.addCallback(lambda _: self.listener.close())  # before the tree: no request meets a stopped store
        d.addCallback(lambda _: super(GatewayService, self).stopService())  # shutdown event, close 1012
        d.addBoth(self._afterStop)
        return d

    def _afterStop(self, result):
        if self.exitCode:  # not a clean stop: the boot stays unclean for the crash-loop breaker
            return self._stopped(result)
        d = self.breaker.ended()
        d.addErrback(lambda f: _log.warn("could not record the clean stop: {err}", err=f.getErrorMessage()))
        d.addCallback(lambda _: self._stopped(result))
        return d

    def _stopped(self, result):
        _log.info("gateway stopped")
        self.logSink.stopService()
        return result

    # reload and in-process restart (driven by self.reload) -----------------------

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
        C{shutdown} (restarting) and close every client with 1012, stop the tree,
        build a new one and bind the same port (a new one only when the port
        setting changed). If the new tree cannot start, the old settings come back;
        if they cannot either, the gateway gives up (see L{onAbandon}). Fires with
        the URL listened on, or None when the gateway stopped meanwhile.
        """
        return ensureDeferred(self._restart(settings))

    async def _restart(self, settings: GatewaySettings) -> str | None:
        old = self.settings
        await self.listener.close()
        await self.hub.shutdown("gateway restarting", RESTART_EXPECTED_MS)
        await self._stopTree()
        if self._stopping:  # stopService finishes the job: nothing binds again
            return None
        try:
            self._startTree(settings)
            return self.url
        except Exception as e:
            _log_start_failure("config restart failed", e)
        await self._stopTree()
        await self.listener.close()
        if self._stopping:
            return None
        try:
            self._startTree(old)
            return self.url
        except Exception:
            self._abandon()
            raise

    async def _stopTree(self) -> None:
        if self.tree.parent is not None:  # (a tree that failed to build was never added)
            await maybeDeferred(self.tree.disownServiceParent)

    def _startTree(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.tree = self._newTree(settings)
        self.tree.setServiceParent(self)  # we are running: the tree starts as it is added
        self._listen(startup=False)

    def _abandon(self) -> None:
        """Neither the new nor the previous config could start again, so nothing listens."""
        self.exitCode = 1
        _log.error("gateway restart failed and the previous config did not start again; stopping the gateway")
        self.onAbandon()

    def _stopAbandoned(self) -> None:
        self.stopService().addErrback(lambda f: _log.failure("gateway stop failed", f))


def _log_start_failure(what: str, error: Exception) -> None:
    """Log why a tree did not start (inside the C{except}): a refusal by its text, anything else with its traceback."""
    if isinstance(error, StartupError):
        _log.error("{what}: {message}", what=what, message=error.message)
    else:
        _log.failure("{what}: {err}", what=what, err=error)


def makeService(
    options: Options,
    reactor: Any = None,
    clock: Any = None,
    console: bool = False,
    endpoint: str | IStreamServerEndpoint | None = None,
) -> GatewayService:
    """
    The gateway as an C{IService}. Raises L{StartupError} when the configuration
    refuses to start. C{clock} drives the gateway's timers (default: the reactor);
    tests pass a L{twisted.internet.task.Clock}. C{console} adds the gateway's own
    readable console log (C{openclaw gateway}; under twistd, twistd's log observer
    does that). C{endpoint} (a description such as C{"unix:/run/openclaw.sock"} or
    C{"systemd:domain=INET:index=0"}, or an C{IStreamServerEndpoint}) replaces the
    TCP listener of the bind mode.
    """
    if reactor is None:
        from twisted.internet import reactor
    return GatewayService(options, reactor, clock, console, endpoint)
