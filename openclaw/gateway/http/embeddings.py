"""
C{POST /v1/embeddings} (http-api.md §4.4): the inputs go to the configured embedding
provider, an C{openai-completions} compatible upstream (its C{<baseUrl>/embeddings}),
through the model providers' one HTTP client; served while either OpenAI-compatible
endpoint is enabled.

C{model} is the agent target (as for the other endpoints) and is echoed back; the
embedding model is C{agents.defaults.memorySearch.model} (provider
C{…memorySearch.provider}) unless C{x-openclaw-model} names another. Vectors are
asked for as floats and sent as the client asked (C{encoding_format} C{float} or
C{base64}: little-endian float32, as OpenAI sends them).
"""

from __future__ import annotations

import base64
import struct
from typing import Any

import orjson
from klein import Klein
from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.web.iweb import IRequest

from openclaw.agents.models import ModelConfigError, ProviderSettings
from openclaw.agents.providers.base import ProviderError
from openclaw.gateway.http import agentcalls as A
from openclaw.gateway.http.auth import BearerAuth
from openclaw.gateway.http.body import MIB
from openclaw.gateway.http.responses import endpoint_disabled, error_body, json_response
from openclaw.http_settings import CHAT_COMPLETIONS_KEY, RESPONSES_KEY, EmbeddingsSettings

_log = Logger(namespace="gateway/http/embeddings")

MAX_BODY_BYTES = 5 * MIB
MAX_INPUTS = 128
MAX_INPUT_CHARS = 8192
MAX_TOTAL_CHARS = 65536
#: Seconds an embeddings request may take upstream, in all.
UPSTREAM_TIMEOUT = 60.0
_API = "openai-completions"


def inputs(body: dict[str, Any], defaultAgentId: str) -> list[str]:
    """The request's inputs within the limits of §4.4. @raise InvalidRequest."""
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise A.InvalidRequest("Missing `model`.")
    if A.target_agent(model, defaultAgentId) is None:
        raise A.InvalidRequest(A.INVALID_MODEL)
    raw = body.get("input")
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise A.InvalidRequest("`input` must be a string or an array of strings.")
    if len(texts) > MAX_INPUTS:
        raise A.InvalidRequest(f"Too many inputs (max {MAX_INPUTS}).")
    if any(len(t) > MAX_INPUT_CHARS for t in texts):
        raise A.InvalidRequest(f"Input too long (max {MAX_INPUT_CHARS} chars).")
    if sum(len(t) for t in texts) > MAX_TOTAL_CHARS:
        raise A.InvalidRequest(f"Total input too large (max {MAX_TOTAL_CHARS} chars).")
    fmt = body.get("encoding_format", "float")
    if fmt not in ("float", "base64"):
        raise A.InvalidRequest("`encoding_format` must be \"float\" or \"base64\".")
    dimensions = body.get("dimensions")
    if dimensions is not None and (isinstance(dimensions, bool) or not isinstance(dimensions, int) or dimensions <= 0):
        raise A.InvalidRequest("`dimensions` must be a positive integer.")
    return texts


def upstream_choice(settings: EmbeddingsSettings, override: str | None) -> tuple[str, str]:
    """(provider id, embedding model): C{x-openclaw-model} as C{provider/model} or a model of the configured provider."""
    if override is None:
        return settings.provider, settings.model
    provider, slash, model = override.partition("/")
    return (provider.strip().lower(), model.strip()) if slash else (settings.provider, override)


def encoded(vector: list[float], fmt: str) -> list[float] | str:
    if fmt == "float":
        return vector
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def answer_body(upstream: Any, model: str, fmt: str) -> dict[str, Any]:
    """Our answer from the upstream's; @raise ValueError: the upstream's is not an embeddings list."""
    rows = upstream.get("data") if isinstance(upstream, dict) else None
    if not isinstance(rows, list):
        raise ValueError("no data list")
    vectors = sorted(rows, key=lambda r: r.get("index", 0))
    usage = upstream.get("usage") if isinstance(upstream.get("usage"), dict) else {}
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": encoded(r["embedding"], fmt)} for i, r in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": int(usage.get("prompt_tokens", 0)), "total_tokens": int(usage.get("total_tokens", 0))},
    }


class Embeddings:
    app = Klein()
    maxBodyBytes = MAX_BODY_BYTES

    def __init__(self, hub, bearer: BearerAuth, reactor: Any) -> None:
        self._hub = hub
        self._bearer = bearer
        self._reactor = reactor

    @app.route("/v1/embeddings", methods=None)
    def embeddings(self, request: IRequest):
        if not self._hub.settings.http.openaiEnabled:
            return endpoint_disabled(request, CHAT_COMPLETIONS_KEY, RESPONSES_KEY)
        return Deferred.fromCoroutine(self._embed(request))

    def _provider(self, providerId: str) -> ProviderSettings:
        models = self._hub.settings.models
        provider = models.providers.get(providerId)
        if provider is None or provider.api != _API:
            raise ModelConfigError(f"embedding provider {providerId!r} is not a configured {_API} provider")
        return provider

    async def _embed(self, request: IRequest) -> bytes:
        settings = self._hub.settings
        try:
            body = await A.admitted_json(request, self._bearer, MAX_BODY_BYTES, self._reactor)
            texts = inputs(body, settings.agents.defaultAgentId)
        except A.Refused as r:
            return r.answer
        except A.InvalidRequest as e:
            return e.answer(request)
        providerId, model = upstream_choice(settings.http.embeddings, A.header(request, "x-openclaw-model"))
        ask: dict[str, Any] = {"model": model, "input": texts, "encoding_format": "float"}
        if body.get("dimensions") is not None:
            ask["dimensions"] = body["dimensions"]
        received: list[bytes] = []
        try:
            provider = self._provider(providerId)
            headers = {"authorization": f"Bearer {provider.apiKey}"} if provider.apiKey else {}
            await self._hub.agents.models.http.post(
                f"{provider.baseUrl}/embeddings", {**headers, **provider.headers}, ask, received.append,
                idleTimeout=provider.idleTimeoutSeconds, timeout=UPSTREAM_TIMEOUT,
            )
            answer = answer_body(orjson.loads(b"".join(received)), body["model"], body.get("encoding_format", "float"))
        except (ModelConfigError, ProviderError, ValueError, KeyError, TypeError) as e:
            _log.warn("embeddings via {provider} failed: {error}", provider=providerId, error=str(e))
            return json_response(request, 500, error_body("internal error", "api_error"))
        return json_response(request, 200, answer)


__all__ = ["Embeddings", "answer_body", "inputs", "upstream_choice"]
