"""
What the OpenAI-compatible endpoints share on the way to an agent run
(http-api.md §4.1, §4.2, §4.5 tools; agent-runs.md §2):

- the agent-target C{model} contract (C{openclaw}, C{openclaw/<agentId>}, …) and the
  C{x-openclaw-agent-id} / C{x-openclaw-model} / C{x-openclaw-session-key} headers;
- the session a request runs in (C{user} → a stable session, else a fresh one);
- the caller's function tools and C{tool_choice} (both reach the model);
- a conversation turned into the run's one message (earlier turns as context);
- L{HttpRun}: the run started through the runtime, followed in process, and
  aborted when the client goes away.

Validation failures raise L{InvalidRequest}, which the endpoint answers as §2's 400.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import orjson
from twisted.internet.defer import Deferred
from twisted.web.iweb import IRequest

from openclaw.agents.models import ModelConfigError
from openclaw.agents.providers.base import Tool, ToolChoice
from openclaw.agents.runs import Run, RunRequest
from openclaw.agents.turn import RunOutcome
from openclaw.gateway.http.auth import BearerAuth, refuse
from openclaw.gateway.http.body import BodyError, read_json
from openclaw.gateway.http.responses import error_body, json_response, method_not_allowed

_AGENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.IGNORECASE)
_TARGET_PREFIXES = ("openclaw/", "openclaw:", "agent:")
_RESERVED_SESSIONS = ("subagent:", "cron:", "acp:")
INVALID_MODEL = "Invalid `model`. Use `openclaw` or `openclaw/<agentId>`."
#: What the run's message says when the current turn had no text of its own (its images go along).
IMAGE_ONLY = "(the user sent only images)"
HISTORY_HEADER = "[Conversation so far, for context]"
CURRENT_HEADER = "[The message to answer now]"


class InvalidRequest(Exception):
    """A request refused before any run started: its status, message and error type."""

    def __init__(self, message: str, status: int = 400, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind

    def answer(self, request: IRequest) -> bytes:
        return json_response(request, self.status, error_body(self.message, self.kind))


def header(request: IRequest, name: str) -> str | None:
    raw = request.getHeader(name.encode())
    value = raw.decode("utf-8", "replace").strip() if raw else ""
    return value or None


async def admitted_json(request: IRequest, bearer: BearerAuth, maxBytes: int, reactor: Any) -> Any:
    """
    The JSON body of a POST that passed §2's checks in order (method 405, auth
    401/429, body 413/400); the answer to send instead raises L{Refused}.
    """
    if request.method != b"POST":
        raise Refused(method_not_allowed(request, b"POST"))
    verdict = bearer.shared(request)
    if not verdict.allowed:
        raise Refused(refuse(request, verdict))
    try:
        body = await read_json(request, maxBytes, reactor=reactor)
    except BodyError as e:
        raise Refused(e.answer(request)) from None
    if not isinstance(body, dict):
        raise Refused(InvalidRequest("Request body must be a JSON object.").answer(request))
    return body


class Refused(Exception):
    """A request answered before it reached the endpoint's own work; C{answer} is the body already set up."""

    def __init__(self, answer: bytes) -> None:
        super().__init__("refused")
        self.answer = answer


# the agent-target model contract ---------------------------------------------------


def target_agent(model: str, defaultAgentId: str) -> str | None:
    """The agent a C{model} value names, or None when it is not an agent target."""
    lowered = model.strip().lower()
    if lowered in ("openclaw", "openclaw/default"):
        return defaultAgentId
    for prefix in _TARGET_PREFIXES:
        if lowered.startswith(prefix):
            agentId = lowered[len(prefix):]
            return agentId if _AGENT_ID.fullmatch(agentId) else None
    return None


def model_ids(agentIds: Iterable[str]) -> list[str]:
    """The ids C{/v1/models} lists: the default targets, then one per configured agent."""
    return ["openclaw", "openclaw/default", *(f"openclaw/{a}" for a in agentIds)]


@dataclass(frozen=True)
class Target:
    agentId: str
    sessionKey: str
    #: The backend model ref of C{x-openclaw-model} (None: the agent's own).
    model: str | None


def resolve_target(request: IRequest, runtime: Any, model: str, user: str | None, prefix: str) -> Target:
    """
    The agent, session and backend model of one request (C{prefix}: C{openai} or
    C{openresponses}, the session namespace of the endpoint).

    @raise InvalidRequest: an unknown agent, a model that is not an agent target,
        a bad C{x-openclaw-model}, a reserved session key.
    """
    agents = runtime.settings.agents
    known = {a.id for a in agents.agents}
    chosen = header(request, "x-openclaw-agent-id") or header(request, "x-openclaw-agent")
    if chosen is not None:
        agentId = chosen.lower()
        if not _AGENT_ID.fullmatch(agentId) or agentId not in known:
            raise InvalidRequest(f"Unknown agent '{chosen}'.")
    else:
        agentId = target_agent(model, agents.defaultAgentId)
        if agentId is None:
            raise InvalidRequest(INVALID_MODEL)
        if agentId not in known:
            raise InvalidRequest(f"Unknown agent '{agentId}'.")
    return Target(agentId, _session_key(request, agentId, user, prefix), _backend_model(request, runtime))


def _backend_model(request: IRequest, runtime: Any) -> str | None:
    wanted = header(request, "x-openclaw-model")
    if wanted is None:
        return None
    models = runtime.settings.models
    try:
        ref = models.resolve(wanted)
        models.provider(ref)
    except ModelConfigError:
        raise InvalidRequest("Invalid `x-openclaw-model`.") from None
    return str(ref)


def _session_key(request: IRequest, agentId: str, user: str | None, prefix: str) -> str:
    explicit = header(request, "x-openclaw-session-key")
    if explicit is not None:
        key = explicit.lower()
        scoped = key.split(":", 2)[2] if key.startswith("agent:") and key.count(":") >= 2 else key
        if scoped.startswith(_RESERVED_SESSIONS):
            raise InvalidRequest("`x-openclaw-session-key` cannot use reserved internal session namespaces.")
        return key if key.startswith("agent:") or key == "global" else f"agent:{agentId}:{key}"
    if user:
        return f"agent:{agentId}:{prefix}-user:{user}".lower()
    return f"agent:{agentId}:{prefix}:{uuid.uuid4()}"


# function tools --------------------------------------------------------------------


def function_tools(raw: Any, definition: Callable[[dict[str, Any]], Any]) -> tuple[Tool, ...]:
    """
    The caller's C{tools}: function tools only; C{definition(tool)} is the object
    holding C{name}, C{description} and C{parameters} (the endpoints nest it differently).

    @raise ValueError: the reason, for C{Invalid tools/tool_choice: <reason>}.
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError("tools must be an array")
    tools = []
    for tool in raw:
        if not isinstance(tool, dict):
            raise ValueError("each tool must be an object")
        if tool.get("type") != "function":
            raise ValueError("only function tools are supported")
        spec = definition(tool)
        if not isinstance(spec, dict):
            raise ValueError("tool.function is required")
        name, parameters = spec.get("name"), spec.get("parameters")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("tool.function.name is required")
        if parameters is not None and not isinstance(parameters, dict):
            raise ValueError("tool.function.parameters must be an object")
        description = spec.get("description")
        tools.append(Tool(
            name.strip(), description if isinstance(description, str) else "",
            parameters or {"type": "object", "properties": {}},
        ))
    return tuple(tools)


def tool_choice(raw: Any, tools: tuple[Tool, ...], nameOf: Callable[[Mapping[str, Any]], Any]) -> ToolChoice:
    """
    C{raw} as a L{ToolChoice} over C{tools}; C{nameOf} reads the tool name of an
    object choice (the endpoints nest it differently).

    @raise ValueError: the reason, for C{Invalid tools/tool_choice: <reason>}.
    """
    if raw is None:
        return ToolChoice()
    if isinstance(raw, str):
        if raw not in ("auto", "none", "required"):
            raise ValueError(f"tool_choice {raw} is not supported")
        choice = ToolChoice(raw)
    elif isinstance(raw, dict):
        if raw.get("type") != "function":
            raise ValueError("unsupported tool_choice type" if not isinstance(raw.get("type"), str)
                             else f"tool_choice {raw['type']} is not supported")
        name = nameOf(raw)
        if not isinstance(name, str) or not name:
            raise ValueError("tool_choice.function.name is required")
        choice = ToolChoice("function", name)
    else:
        raise ValueError("tool_choice must be a string or object")
    if choice.mode != "none" and choice.mode != "auto" and not choice.offered(tools):
        raise ValueError(f"tool_choice requested unknown tool: {choice.name}" if choice.name
                         else "tool_choice=required but no tools were provided")
    return choice


# the conversation as one message ---------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One turn of the client's conversation: C{role} user, assistant or tool."""

    role: str
    sender: str
    text: str


def conversation_message(entries: list[Entry]) -> str:
    """
    The run's message: the latest user or tool turn, with everything before it
    as labelled context (the client, not the session, holds the conversation).
    """
    if not entries:
        return ""
    current = next((i for i in range(len(entries) - 1, -1, -1) if entries[i].role in ("user", "tool")), len(entries) - 1)
    last = entries[current]
    history = [f"{e.sender}: {e.text}" for e in entries[:current]]
    if not history and last.role != "tool":
        return last.text
    return "\n".join([HISTORY_HEADER, *history, "", CURRENT_HEADER, f"{last.sender}: {last.text}"])


# server-sent events ----------------------------------------------------------------

SSE_DONE = b"data: [DONE]\n\n"


def start_event_stream(request: IRequest) -> None:
    """The 200 and SSE headers, sent at once (a client sees the stream open before the first token)."""
    request.setResponseCode(200)
    request.setHeader(b"Content-Type", b"text/event-stream; charset=utf-8")
    request.setHeader(b"Cache-Control", b"no-cache")
    request.setHeader(b"Connection", b"keep-alive")
    request.write(b"")


def sse_frame(payload: Any, event: str | None = None) -> bytes:
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + orjson.dumps(payload) + b"\n\n"


# the run ---------------------------------------------------------------------------


class HttpRun:
    """
    One agent run for one HTTP request: started through the runtime like every
    run, followed through its events in process, and aborted when the client
    disconnects before its answer is complete.
    """

    def __init__(self, runtime: Any, request: IRequest, runRequest: RunRequest) -> None:
        self._runtime = runtime
        self.request = runRequest
        self.run: Run = runtime.start(runRequest)[0]
        #: The client went away before its answer was complete (nothing more may be written).
        self.clientGone = False
        request.notifyFinish().addErrback(self._clientGone)

    def _clientGone(self, _failure: Any) -> None:
        self.clientGone = True
        if self.run.outcome is None:
            self._runtime.runs.abort(self.request.sessionKey, self.request.runId, "client_disconnected")

    def onText(self, write: Callable[[str], None]) -> None:
        """C{write(delta)} for each piece of assistant text, as the run streams it."""

        def watch(event: str, payload: dict[str, Any]) -> None:
            if event == "agent" and payload["stream"] == "assistant":
                write(payload["data"]["delta"])

        self.run.events.addWatcher(watch)

    def whenDone(self) -> "Deferred[RunOutcome]":
        return self.run.whenDone()


def new_run_request(runId: str, target: Target, runtime: Any, call: Any) -> RunRequest:
    """The run of one validated call (a C{ChatCall} or C{ResponsesCall}: the fields both have)."""
    return RunRequest(
        runId=runId, agentId=target.agentId, sessionKey=target.sessionKey, message=call.message, kind="agent",
        queueMode=runtime.queueMode(None), model=target.model, extraSystemPrompt=call.system, clientTools=call.tools,
        toolChoice=call.choice, images=call.images, maxTokens=call.maxTokens, temperature=call.temperature,
    )


def failure_message(outcome: RunOutcome) -> str:
    """What a failed or stopped run tells a client (never the upstream's own words: they may name keys or hosts)."""
    if outcome.status == "timeout" and outcome.stopReason == "timeout":
        return "Agent run timed out"
    return "Agent run failed"


__all__ = [
    "SSE_DONE", "Entry", "Refused", "admitted_json", "HttpRun", "sse_frame", "start_event_stream", "INVALID_MODEL", "InvalidRequest", "Target", "ToolChoice", "conversation_message",
    "failure_message", "function_tools", "header", "model_ids", "new_run_request", "resolve_target", "target_agent",
    "tool_choice",
]
