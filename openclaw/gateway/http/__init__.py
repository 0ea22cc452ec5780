"""
The HTTP side of the gateway port: one klein class per API surface, mounted in the
routing order of http-api.md §1.4, and what they share.

  auth.py       Bearer auth + the failed-auth limiter's verdicts (401/429) for every surface
  body.py       JSON request bodies: size bound (413), nesting bound, 400 for non-JSON
  responses.py  JSON/text answers and the common error shape
  routing.py    first match wins across the surfaces; nothing matched → 404
  probes.py            /health, /ready, /startup (+ their z aliases)
  hooks.py             webhooks under hooks.path (hookactions.py: what a hook asks for)
  openai_models.py     GET /v1/models[/{id}]: the agent targets
  embeddings.py        POST /v1/embeddings
  tools_invoke.py      POST /tools/invoke (and the invocation WS tools.invoke shares)
  sessions_http.py     /sessions/<key>/history, /sessions/<key>/kill
  responses_api.py     POST /v1/responses (OpenResponses)
  chat_completions.py  POST /v1/chat/completions
  agentcalls.py        what the OpenAI-compatible endpoints share: agent target, session, tools, the run
  controlui.py         the Control UI (static files, SPA fallback, bootstrap config), last

A new surface (hooks, /v1/models, /tools/invoke, /sessions/*, /v1/responses,
/v1/chat/completions, plugin routes: in that order) is a klein class with an
C{app} and a C{maxBodyBytes}, inserted into L{surfaces} at its place in that order.

Every surface is built once per gateway tree from C{(hub, reactor)}, and is always
mounted: it reads C{hub.settings} (the current snapshot, swapped by a reload) on
each request, so a toggle such as C{gateway.http.endpoints.*.enabled} applies at
once; a switched-off endpoint answers L{responses.endpoint_disabled}. Surfaces
that start agent runs do so through C{hub.agents} (the L{AgentRuntime}).

The C{gateway.http.*} section is L{openclaw.http_settings.HttpSettings}
(C{settings.http}); it lives outside this package because the settings build,
which the CLI uses too, must not import the gateway.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.http.auth import BearerAuth
from openclaw.gateway.http.chat_completions import ChatCompletions
from openclaw.gateway.http.controlui import ControlUi
from openclaw.gateway.http.hooks import Hooks
from openclaw.gateway.http.embeddings import Embeddings
from openclaw.gateway.http.openai_models import OpenAiModels
from openclaw.gateway.http.probes import Probes
from openclaw.gateway.http.responses_api import ResponsesApi
from openclaw.gateway.http.routing import Surface, SurfaceRouter
from openclaw.gateway.http.sessions_http import SessionsHttp
from openclaw.gateway.http.tools_invoke import ToolsInvoke


def surfaces(hub, reactor: Any) -> list[Surface]:
    """The gateway's HTTP surfaces in routing order: the first whose routes match a path answers it."""
    bearer = BearerAuth(hub)
    found: list[Surface] = [
        Probes(hub, bearer),
        Hooks(hub, reactor),
        OpenAiModels(hub, bearer),
        Embeddings(hub, bearer, reactor),
        ToolsInvoke(hub, bearer, reactor),
        SessionsHttp(hub, bearer),
        ResponsesApi(hub, bearer, reactor),
        ChatCompletions(hub, bearer, reactor),
    ]
    ui = ControlUi.configured(hub, bearer, reactor)
    if ui is not None:
        found.append(ui)
    return found


def http_resource(hub, reactor: Any) -> SurfaceRouter:
    """Everything the port serves over plain HTTP (upgrades never get here)."""
    return SurfaceRouter(surfaces(hub, reactor))


__all__ = ["Surface", "SurfaceRouter", "http_resource", "surfaces"]
