"""
The reload controller: turns config edits, signals and restart requests into a
hot apply or an in-process restart of the gateway's service tree.

Pipeline per change: load, validate, resolve secrets and check the security rules
(all in a thread, through the same L{settings.build} as start-up); an invalid
result changes nothing. Otherwise diff against the running settings and, by
C{gateway.reload.mode}, apply the hot part, restart, or only report. A hot change
goes to the L{ISettingsConsumer}s that claim its section (log sink, hub, agent
runtime, channel manager); a section nobody claims, or a consumer that cannot
apply it, restarts the tree.

Restarts coalesce, keep a cooldown between cycles (it survives the restarts, since
this controller does), and wait for tracked in-flight work up to the deferral
timeout.
"""

from __future__ import annotations

import os
import signal
from dataclasses import replace
from typing import Any, Callable, Iterable

from twisted.internet.defer import Deferred, DeferredList, maybeDeferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.internet.threads import deferToThread
from twisted.logger import Logger

from openclaw.config import diff
from openclaw.config.load import ConfigError
from openclaw.config.outcome import restart_paths
from openclaw.config.secrets import SecretResolutionError
from openclaw.config.watch import ConfigWatcher
from openclaw.settings import GatewaySettings, SecretsUnavailable, StartupError
from openclaw.reloadable import ISettingsConsumer

_log = Logger(namespace="gateway/reload")
_secretsLog = Logger(namespace="gateway/secrets")

RESTART_COOLDOWN = 30.0
RESTART_EXPECTED_MS = 1500
MISSING_RETRIES = 2
MISSING_RETRY_DELAY = 0.15


def _observed(work: Deferred) -> Deferred:
    """A Deferred that fires when C{work} does; cancelling it leaves C{work} alone."""
    seen: Deferred = Deferred()

    def fired(result: Any) -> Any:
        if not seen.called:
            seen.callback(None)
        return result

    work.addBoth(fired)
    return seen


class ReloadController:
    """
    Lives as long as the process shell; the tree it restarts is rebuilt under it. It
    knows the gateway only through the callables it is given:

    @param current: the running settings.
    @param load: read the config file into new settings, as start-up would (blocking).
    @param rebuild: C{(settings or None)} → the same config with its SecretRefs
        resolved again (blocking).
    @param restart: C{(settings)} → Deferred: restart the tree in-process.
    @param consumers: the L{ISettingsConsumer}s running now (the shell and its tree).
    """

    def __init__(
        self,
        clock: IReactorTime,
        current: Callable[[], GatewaySettings],
        load: Callable[[], GatewaySettings],
        rebuild: Callable[..., GatewaySettings],
        restart: Callable[[GatewaySettings], Deferred],
        consumers: Callable[[], Iterable[ISettingsConsumer]],
    ) -> None:
        self._clock = clock
        self._current = current
        self._load = load
        self._rebuild = rebuild
        self._restartTree = restart
        self._consumers = consumers
        self.watcher = ConfigWatcher(clock, self._fileChanged)
        self._queue: Deferred = succeed(None)
        self._work: set[Deferred] = set()
        self._lastRestartAt: float | None = None
        self._restartCall = None
        self._restartReasons: list[str] = []
        self._restartSettings: GatewaySettings | None = None
        self._restarting = False
        self._degraded = False
        self._active = False

    @property
    def mode(self) -> str:
        return self._current().reload.mode

    @property
    def watching(self) -> bool:
        return self.watcher.running

    # lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        self._active = True
        self._syncWatcher()

    def stop(self) -> None:
        """The gateway is stopping: no more reloads or restarts."""
        self._active = False
        self.watcher.stop()
        if self._restartCall is not None and self._restartCall.active():
            self._restartCall.cancel()
        self._restartCall = None

    def _syncWatcher(self) -> None:
        """Watch the accepted files, or stop watching when the mode is C{off}."""
        settings = self._current()
        self.watcher.debounceMs = settings.reload.debounceMs
        if self.mode == "off":
            self.watcher.stop()
            return
        # accept what these settings were loaded from: a save since then is still a change
        self.watcher.watch((settings.paths.configPath, *settings.includedFiles), settings.configDigest)
        self.watcher.start()

    # in-flight work (agent runs): restarts wait for it ---------------------------

    def track(self, work: Deferred) -> Deferred:
        """Count C{work} as in flight until it fires; a restart waits for it."""
        self._work.add(work)

        def done(result: Any) -> Any:
            self._work.discard(work)
            return result

        return work.addBoth(done)

    @property
    def activeWork(self) -> int:
        return len(self._work)

    def inFlight(self) -> list[Deferred]:
        """The tracked work still running (the shutdown drain waits for it)."""
        return list(self._work)

    # the pipeline --------------------------------------------------------------

    def _serial(self, step) -> Deferred:
        """Run reload steps one at a time, in order."""
        result: Deferred = Deferred()

        def run(_: Any) -> Deferred:
            d = maybeDeferred(step)
            d.chainDeferred(result)
            return d.addErrback(lambda f: None)

        self._queue.addCallback(run)
        return result

    def settled(self) -> Deferred:
        """Fires once every reload step queued so far has finished."""
        done: Deferred = Deferred()
        self._queue.addCallback(lambda _: done.callback(None))
        return done

    def _fileChanged(self) -> None:
        self._serial(lambda: self._reloadFromDisk(MISSING_RETRIES)).addErrback(
            lambda f: _log.failure("config reload failed: {err}", f, err=f.getErrorMessage())
        )

    def _reloadFromDisk(self, retriesLeft: int) -> Deferred:
        path = self._current().paths.configPath
        if not os.path.exists(path):
            if retriesLeft:
                waited: Deferred = Deferred()
                self._clock.callLater(MISSING_RETRY_DELAY, waited.callback, None)
                return waited.addCallback(lambda _: self._reloadFromDisk(retriesLeft - 1))
            _log.warn("config reload skipped (config file not found)")
            return succeed(None)
        d = deferToThread(self._load)
        return d.addCallbacks(self.apply, self._invalid)

    def write(self, step, restartDelayMs: int = 0) -> Deferred:
        """
        An OpenClaw-owned config write: C{step} (blocking, run in a thread, in turn
        with reloads) validates and writes the file and returns C{(settings, result)};
        the new settings then go through L{apply}. Fires with C{result}.
        """

        def applied(outcome):
            settings, result = outcome
            self.apply(settings, restartDelayMs / 1000)
            return result

        return self._serial(lambda: deferToThread(step).addCallback(applied))

    def _invalid(self, failure) -> None:
        error = failure.trap(ConfigError, StartupError)
        if error is ConfigError:
            issues = "; ".join(failure.value.issues)
            # watch what the broken config includes (fixing one is a change), as it was read
            paths = (self._current().paths.configPath, *failure.value.included)
            if paths != self.watcher.paths:
                self.watcher.watch(paths, failure.value.digest)
        else:
            issues = failure.value.message
        _log.warn("config reload skipped (invalid config): {issues}", issues=issues)
        return None

    def apply(self, new: GatewaySettings, restartDelay: float = 0.0) -> None:
        """Classify the change from the running settings to C{new} and act by mode."""
        old = self._current()
        mode = self.mode  # a new mode applies to the next change, not this one
        sameAuth = old.authMode == new.authMode
        plan = diff.plan(old.config, new.config, sameAuthMode=sameAuth)
        if not plan.changed:
            # same config (say, reformatted, or only a secret's value moved): swap quietly
            self._applyHot(new, frozenset({"secrets"}))
            return
        shown = ", ".join(plan.changed)
        _log.info("config change detected; evaluating reload ({paths})", paths=shown)
        if mode == "off":
            _log.info("config reload disabled (gateway.reload.mode=off); restart to apply ({paths})", paths=shown)
            return
        claimed = frozenset().union(*(consumer.sections for consumer in self._consumers()))
        restartPaths = list(restart_paths(plan, claimed))
        if mode == "restart" or restartPaths:
            reasons = list(plan.changed) if mode == "restart" else restartPaths
            if mode == "hot":
                _log.warn(
                    "config change requires gateway restart ({paths}); reload mode is hot — restart manually",
                    paths=", ".join(reasons),
                )
                self._applyHot(self._keepBound(old, new, sameAuth), plan.sections)
                return
            _log.info("config change requires gateway restart ({paths})", paths=", ".join(reasons))
            self.requestRestart(f"config reload: {', '.join(reasons)}", new, restartDelay)
            return
        if not self._applyHot(new, plan.sections):
            _log.info("config change requires gateway restart ({paths})", paths=", ".join(plan.hot))
            self.requestRestart(f"config reload: {', '.join(plan.hot)}", new, restartDelay)
        elif plan.hot:
            _log.info("config hot reload applied ({paths})", paths=", ".join(plan.hot))
        else:
            _log.info("config change applied (dynamic reads: {paths})", paths=", ".join(plan.noop))

    @staticmethod
    def _keepBound(old: GatewaySettings, new: GatewaySettings, sameAuth: bool) -> GatewaySettings:
        """C{new}, but with what only a restart can change kept as it runs."""
        kept = {name: getattr(old, name) for name in ("port", "portSource", "bindMode", "bindHosts")}
        if not sameAuth:
            kept.update(authMode=old.authMode, token=old.token, password=old.password)
        return replace(new, **kept)

    def _applyHot(self, settings: GatewaySettings, sections: frozenset[str]) -> bool:
        """Hand C{settings} to every consumer; False when one of them needs a restart for it."""
        applied = [consumer.applySettings(settings, sections) for consumer in self._consumers()]
        self._syncWatcher()
        return all(applied)

    # restarts ------------------------------------------------------------------

    def requestRestart(self, reason: str, settings: GatewaySettings | None = None, delay: float = 0.0) -> None:
        """
        Restart the tree in-process (with C{settings}, or the config re-read from
        disk). Requests coalesce; a request inside the cooldown waits for its end.
        """
        if not self._active:
            return
        if reason not in self._restartReasons:
            self._restartReasons.append(reason)
        if settings is not None:
            self._restartSettings = settings
        if self._restarting or (self._restartCall is not None and self._restartCall.active()):
            return
        now = self._clock.seconds()
        if self._lastRestartAt is not None and self._lastRestartAt + RESTART_COOLDOWN - now > delay:
            delay = self._lastRestartAt + RESTART_COOLDOWN - now
            _log.info(
                "restart deferred {delay}s ({reasons}): the previous restart was {ago}s ago "
                "and restarts keep {cooldown}s apart",
                delay=round(delay, 1), reasons="; ".join(self._restartReasons),
                ago=round(now - self._lastRestartAt, 1), cooldown=int(RESTART_COOLDOWN),
            )
        self._restartCall = self._clock.callLater(max(0.0, delay), self._restartDue)

    def _restartDue(self) -> None:
        self._restartCall = None
        self._restarting = True  # later requests join this one
        if self._work:
            _log.info(
                "config change requires gateway restart ({reasons}) — deferring until {n} active run(s) complete",
                reasons="; ".join(self._restartReasons), n=len(self._work),
            )
            waiting = DeferredList([_observed(work) for work in self._work], consumeErrors=True)
            waiting.addTimeout(self._current().reload.deferralTimeoutMs / 1000, self._clock)
            waiting.addBoth(lambda _: self._serial(self._restart))
            return
        self._serial(self._restart)

    def _restart(self) -> Deferred:
        reasons, self._restartReasons = self._restartReasons, []
        settings, self._restartSettings = self._restartSettings, None
        if not self._active:  # stopped while it waited
            self._restarting = False
            return succeed(None)
        if settings is None:
            d = deferToThread(self._load)
        else:  # its secrets as they resolve now (a secrets.reload since the request counts)
            d = deferToThread(self._rebuild, settings)

        def fallback(failure):
            failure.trap(ConfigError, StartupError)
            self._invalid(failure)
            return self._current()  # restart with the last accepted config

        def restart(chosen: GatewaySettings) -> Deferred | None:
            if not self._active:  # stopped while the config loaded
                return None
            self._lastRestartAt = self._clock.seconds()
            _log.info("restart ({reasons})", reasons="; ".join(reasons))
            d = self._restartTree(chosen)
            d.addCallback(lambda url: url and _log.info("gateway restarted on {url}", url=url))
            return d

        def finished(result):
            self._restarting = False
            if self._active:
                self._syncWatcher()
            if self._restartReasons:  # asked again while restarting
                self.requestRestart(self._restartReasons[-1])
            return result

        d.addErrback(fallback)
        d.addCallback(restart)
        d.addErrback(lambda f: _log.failure("config restart failed: {err}", f, err=f.getErrorMessage()))
        return d.addBoth(finished)

    def signalled(self, signum: int) -> None:
        """SIGUSR1 / SIGUSR2: a restart request, unless C{commands.restart} is false."""
        name = signal.Signals(signum).name
        if not self._active:
            _log.info("received {sig} during shutdown; ignoring", sig=name)
            return
        if not self._current().reload.signalRestarts:
            _log.warn("{sig} restart ignored (not authorized; commands.restart=false).", sig=name)
            return
        _log.info("received {sig}; restarting", sig=name)
        self.requestRestart(name)

    # secrets -------------------------------------------------------------------

    def reloadSecrets(self) -> Deferred:
        """
        Re-resolve every active SecretRef against the running config (no file read)
        and swap the result in at once; on failure keep the last-known-good one.
        Fires with the warning count, or fails with L{SecretResolutionError}.
        """
        d = self._serial(lambda: deferToThread(self._rebuild, None))

        def swapped(settings: GatewaySettings) -> int:
            self._applyHot(settings, frozenset({"secrets", "auth"}))
            if self._degraded:
                self._degraded = False
                _secretsLog.info("[SECRETS_RELOADER_RECOVERED] Secret resolution recovered.")
            return 0

        def failed(failure):
            error = failure.trap(SecretsUnavailable, StartupError)
            detail = failure.value.detail if error is SecretsUnavailable else failure.value.message
            _secretsLog.warn("secrets.reload failed: {detail}", detail=detail)
            if not self._degraded:
                self._degraded = True
                _secretsLog.warn(
                    "[SECRETS_RELOADER_DEGRADED] Secret resolution failed; runtime remains on the last-known-good snapshot."
                )
            raise SecretResolutionError(detail)

        return d.addCallbacks(swapped, failed)


__all__ = ["RESTART_EXPECTED_MS", "ReloadController"]
