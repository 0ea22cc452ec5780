"""
C{GET /v1/models} and C{GET /v1/models/{id}} (http-api.md §4.3): the agent targets a
client may name as C{model} (C{openclaw}, C{openclaw/default}, C{openclaw/<agentId>}
per configured agent), served while either OpenAI-compatible endpoint is enabled.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from klein import Klein
from twisted.web.iweb import IRequest

from openclaw.gateway.http import agentcalls as A
from openclaw.gateway.http.auth import BearerAuth, refuse
from openclaw.gateway.http.responses import endpoint_disabled, error_body, json_response, method_not_allowed
from openclaw.http_settings import CHAT_COMPLETIONS_KEY, RESPONSES_KEY

_PREFIX = b"/v1/models/"
_BAD_ESCAPE = re.compile(rb"%(?![0-9a-fA-F]{2})")


def model_object(modelId: str) -> dict[str, Any]:
    return {"id": modelId, "object": "model", "created": 0, "owned_by": "openclaw", "permission": []}


def requested_id(rawPath: bytes) -> str:
    """The id of C{/v1/models/<id>} (URL-encoded: C{openclaw%2Fdefault}). @raise InvalidRequest."""
    raw = rawPath[len(_PREFIX):]
    if not raw:
        raise A.InvalidRequest("Missing model id.")
    if _BAD_ESCAPE.search(raw):
        raise A.InvalidRequest("Invalid model id encoding.")
    try:
        modelId = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise A.InvalidRequest("Invalid model id encoding.") from None
    if not modelId.strip():
        raise A.InvalidRequest("Missing model id.")
    return modelId.strip()


class OpenAiModels:
    app = Klein()
    maxBodyBytes = 0

    def __init__(self, hub, bearer: BearerAuth) -> None:
        self._hub = hub
        self._bearer = bearer

    def _refused(self, request: IRequest) -> bytes | None:
        """The §2 answer for a request that may not go on (off, wrong method, no auth); None: it may."""
        if not self._hub.settings.http.openaiEnabled:
            return endpoint_disabled(request, CHAT_COMPLETIONS_KEY, RESPONSES_KEY)
        if request.method != b"GET":
            return method_not_allowed(request, b"GET")
        verdict = self._bearer.shared(request)
        return None if verdict.allowed else refuse(request, verdict)

    def _ids(self) -> list[str]:
        return A.model_ids(a.id for a in self._hub.settings.agents.agents)

    @app.route("/v1/models", methods=None)
    def models(self, request: IRequest) -> bytes:
        refused = self._refused(request)
        if refused is not None:
            return refused
        return json_response(request, 200, {"object": "list", "data": [model_object(i) for i in self._ids()]})

    @app.route("/v1/models/", methods=None)
    @app.route("/v1/models/<path:_rest>", methods=None)
    def model(self, request: IRequest, _rest: str = "") -> bytes:
        refused = self._refused(request)
        if refused is not None:
            return refused
        try:
            modelId = requested_id(request.path)
        except A.InvalidRequest as e:
            return e.answer(request)
        agents = self._hub.settings.agents
        if A.target_agent(modelId, agents.defaultAgentId) is None:
            return A.InvalidRequest("Invalid model id.").answer(request)
        known = {i.lower(): i for i in self._ids()}
        found = known.get(modelId.lower())
        if found is None:
            return json_response(request, 404, error_body(f"Model '{modelId}' not found.", "invalid_request_error"))
        return json_response(request, 200, model_object(found))


__all__ = ["OpenAiModels", "model_object", "requested_id"]
