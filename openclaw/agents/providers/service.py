"""
The agent runtime's one door to the models: the owned HTTP client (a child
service, so stopping this cancels what is in flight and closes the pool), the
providers of one L{ModelsSettings}, and failover over an agent's model plan. An
agent whose auth-profile keys differ from the default agent's gets providers of
its own (L{ModelsSettings.forAgent}), built at its first turn.
"""

from __future__ import annotations

from twisted.application.service import MultiService
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from openclaw.agents.models import ModelChoice, ModelsSettings
from openclaw.agents.providers.base import Completion, EventSink, ModelRequest
from openclaw.agents.providers.failover import Failover
from openclaw.agents.providers.http import ProviderHTTP
from openclaw.agents.providers.registry import ProviderRegistry


class ModelService(MultiService):
    name = "models"

    def __init__(self, settings: ModelsSettings, reactor, clock: IReactorTime | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.http = ProviderHTTP(reactor, clock=clock)
        self.http.setServiceParent(self)
        self._clock = clock or reactor
        self._failovers: dict[str | None, Failover] = {}

    def applySettings(self, settings: ModelsSettings) -> None:
        """
        New turns use C{settings}; a turn in flight keeps the providers it started
        with (its requests stay open on the same HTTP client).
        """
        self.settings = settings
        self._failovers = {}

    def stream(
        self, request: ModelRequest, onEvent: EventSink, choice: ModelChoice | None = None, agentId: str | None = None
    ) -> "Deferred[Completion]":
        """
        One turn of C{agentId} (None: the default agent) with its C{choice} (the
        configured default when None). C{request.model} is filled in per attempt;
        raises L{ModelConfigError} at once when a ref of the plan cannot be resolved.
        """
        return self._failover(agentId).stream(self.settings.plan(choice), request, onEvent)

    def _failover(self, agentId: str | None) -> Failover:
        key = agentId if agentId in self.settings.agentProviders else None
        if key not in self._failovers:
            registry = ProviderRegistry(self.settings.forAgent(key), self.http)
            self._failovers[key] = Failover(registry.provider, self._clock)
        return self._failovers[key]
