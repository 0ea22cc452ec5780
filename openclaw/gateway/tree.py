"""
The rebuildable inner tree: every service built from ONE settings snapshot. The
process shell (L{openclaw.gateway.service.GatewayService}) outlives it; an
in-process restart stops this tree and builds a new one from new settings.

Children start in order and stop in reverse: agents, channels, pairing, hub, health.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred
from zope.interface import implementer

from openclaw.agents.runtime import AgentRuntime
from openclaw.channels.agentdispatch import RunEngineDispatcher
from openclaw.channels.manager import ChannelManager
from openclaw.gateway.health import HealthMonitor
from openclaw.gateway.hub import Hub
from openclaw.gateway.methods import MethodRegistry
from openclaw.gateway.methods import (
    agent, channels, chat, config, devices, diagnostics, doctor, heartbeat, logs, secrets, send, sessions, system,
    tools, wake,
)
from openclaw.gateway.methods import (  # what the Control UI's chat screen asks for
    agents, approvals, branches, companion, cron, models, progresscards, questions, talk, update,
)
from openclaw.gateway.pairing import PairingStore
from openclaw.settings import GatewaySettings
from openclaw.gateway.site import make_port_factory
from openclaw.logs import LogSink
from openclaw.reloadable import ISettingsConsumer

#: The RPC method families; each module's C{register(registry, tree, shell)} adds its methods.
METHOD_FAMILIES = (
    system, logs, channels, diagnostics, doctor, devices, config, secrets, heartbeat, sessions, agent, chat,
    send,
    wake,
    tools,
    agents, models, branches,
    # features this gateway does not run, answered as the reference answers when they are empty or off
    approvals, questions, cron, progresscards, companion, talk, update,
)

#: Sections the hub takes live (new connects are checked against the new settings;
#: the HTTP surfaces, hooks among them, read the hub's settings on every request).
_HUB_SECTIONS = frozenset({"auth", "rateLimit", "origins", "secrets", "hooks"})
#: Accepted but not served yet (start-up says so): a change to them needs no restart.
_NOT_SERVED = frozenset({"cron"})


@dataclass(frozen=True)
class ShellAccess:
    """
    The few things of the process shell, which outlives every tree, that method
    families may use: the environment the config is read against, validation of a
    config by the start-up rules, config writes and restarts through the reload
    controller, and the log sink.
    """

    environ: Mapping[str, str]
    #: C{(source, persist=True)} → settings by the start-up rules (blocking; raises StartupError).
    settingsFor: Callable[..., GatewaySettings]
    #: C{(step, restartDelayMs)}: run a blocking config write in turn with reloads, then apply it.
    writeConfig: Callable[[Callable[[], Any], int], Deferred]
    #: C{(reason, delay=0.0)}: restart the tree in-process (coalesced, cooldown).
    requestRestart: Callable[..., None]
    #: Re-resolve the SecretRefs and swap them in; fires with the warning count.
    reloadSecrets: Callable[[], Deferred]
    #: Whether the config file is being watched (health reports it).
    reloadWatching: Callable[[], bool]
    logSink: LogSink
    #: C{(deferred)}: count work (an agent run) as in flight until it fires; restarts
    #: and the shutdown drain wait for it.
    trackWork: Callable[[Deferred], Any] = lambda work: work


@implementer(ISettingsConsumer)
class GatewayTree(MultiService):
    """Hub, pairing store, health monitor, agent runtime, channel manager and method registry."""

    def __init__(self, settings: GatewaySettings, reactor: Any, clock: Any, shell: ShellAccess) -> None:
        super().__init__()
        self.settings = settings
        self.clock = clock
        stateDir = settings.paths.stateDir
        self.agents = AgentRuntime(
            settings, reactor, clock, self._publish, track=shell.trackWork, accepting=lambda: self.hub.accepting,
        )
        self.agents.setServiceParent(self)
        self.channels = ChannelManager(settings.channels, reactor, clock, stateDir, RunEngineDispatcher(self.agents))
        self.channels.setServiceParent(self)
        self.agents.heartbeats.channels = self.channels  # heartbeats with a channel target deliver through it
        self.registry = MethodRegistry()
        self.pairing = PairingStore(stateDir, clock)
        self.pairing.setServiceParent(self)  # up before the hub, down after it
        self.hub = Hub(settings, clock, self.registry, self.agents, self.channels)
        self.hub.pairing = self.pairing
        self.hub.setServiceParent(self)
        self.health = HealthMonitor(clock, self.agents, self.channels, shell.reloadWatching, self.hub.healthCommitted)
        self.hub.health = self.health
        self.health.setServiceParent(self)
        for family in METHOD_FAMILIES:
            family.register(self.registry, self, shell)
        self.portFactory = make_port_factory(self.hub, reactor)
        self.sections = _HUB_SECTIONS | _NOT_SERVED | self.agents.sections | self.channels.sections

    def _publish(self, event: str, payload: Any, dropIfSlow: bool = False, sessionKey: str | None = None) -> None:
        """Runs and sessions announce their events to every client that may see them (C{sessionKey}: whose event it is)."""
        self.hub.broadcast(event, payload, dropIfSlow=dropIfSlow, sessionKey=sessionKey)

    def applySettings(self, settings: GatewaySettings, changedSections: frozenset[str]) -> bool:
        self.settings = settings
        self.hub.reconfigure(settings)
        applied = [child.applySettings(settings, changedSections) for child in (self.agents, self.channels)]
        return all(applied)


__all__ = ["METHOD_FAMILIES", "GatewayTree", "ShellAccess"]
