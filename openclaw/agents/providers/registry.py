"""
From a model ref to the provider object that speaks its provider's API, one per
provider, all sharing the one L{ProviderHTTP} client.
"""

from __future__ import annotations

from openclaw.agents.models import ModelRef, ModelsSettings
from openclaw.agents.providers.anthropic_messages import AnthropicMessagesProvider
from openclaw.agents.providers.http import ProviderHTTP
from openclaw.agents.providers.ollama import OllamaProvider
from openclaw.agents.providers.openai_completions import OpenAICompletionsProvider
from openclaw.agents.providers.openai_responses import OpenAIResponsesProvider
from openclaw.agents.providers.streaming import StreamingProvider

PROVIDER_APIS: dict[str, type[StreamingProvider]] = {
    "openai-completions": OpenAICompletionsProvider,
    "openai-responses": OpenAIResponsesProvider,
    "anthropic-messages": AnthropicMessagesProvider,
    "ollama": OllamaProvider,
}


class ProviderRegistry:
    def __init__(self, settings: ModelsSettings, http: ProviderHTTP) -> None:
        self.settings = settings
        self._http = http
        self._providers: dict[str, StreamingProvider] = {}

    def provider(self, ref: ModelRef) -> StreamingProvider:
        """The provider for C{ref}; L{ModelConfigError} when its provider is not configured."""
        if ref.provider not in self._providers:
            config = self.settings.provider(ref)
            self._providers[ref.provider] = PROVIDER_APIS[config.api](self._http, config)
        return self._providers[ref.provider]
