"""
The part every HTTP streaming provider shares: post the API's body through the
owned client and feed the response to the API's decoder as it arrives. Each API
module says only what is particular to it: the URL, the headers, the body, and
how its stream reads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from twisted.internet.defer import Deferred

from openclaw.agents.models import ModelEntry, ProviderSettings
from openclaw.agents.providers.base import Collector, Completion, EventSink, ModelRequest, StreamDecoder, Tool
from openclaw.agents.providers.http import ProviderHTTP


class StreamingProvider(ABC):
    def __init__(self, http: ProviderHTTP, settings: ProviderSettings) -> None:
        self._http = http
        self.settings = settings

    def stream(self, request: ModelRequest, onEvent: EventSink) -> "Deferred[Completion]":
        decoder = self.decoder(Collector(onEvent))
        done = self._http.post(
            self.url(),
            {**self.headers(), **self.settings.headers},
            self.body(request, self.settings.model(request.model)),
            decoder.feed,
            idleTimeout=self.settings.idleTimeoutSeconds,
            timeout=request.timeoutSeconds,
        )
        return done.addCallback(lambda _: decoder.end())

    def maxTokens(self, request: ModelRequest, model: ModelEntry | None) -> int | None:
        """The request's limit, else the model's, else the provider's."""
        return request.maxTokens or (model.maxTokens if model else None) or self.settings.maxTokens

    @staticmethod
    def tools(request: ModelRequest, model: ModelEntry | None) -> tuple[Tool, ...]:
        """The request's tools, unless the model is configured without tool support."""
        return request.tools if model is None or model.supportsTools else ()

    # -- what each API module provides

    @abstractmethod
    def url(self) -> str:
        """Where the API's requests go."""

    def headers(self) -> dict[str, str]:
        """The key as a Bearer token (the OpenAI-style APIs and Ollama); Anthropic's differs."""
        return {"authorization": f"Bearer {self.settings.apiKey}"} if self.settings.apiKey else {}

    @abstractmethod
    def body(self, request: ModelRequest, model: ModelEntry | None) -> dict:
        """The API's request body for C{request} (C{model}: its configured entry, if any)."""

    @abstractmethod
    def decoder(self, collector: Collector) -> StreamDecoder:
        """A decoder of the API's stream that reports to C{collector}."""
