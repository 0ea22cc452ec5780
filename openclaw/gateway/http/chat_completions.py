"""
C{POST /v1/chat/completions} (http-api.md §4.5): one agent run per request, answered
as one C{chat.completion} or streamed as C{chat.completion.chunk} SSE frames ending
with C{data: [DONE]}.

The client holds the conversation: system and developer messages become the run's
extra system prompt, the latest user (or tool result) message is what the run
answers, earlier turns go along as context; the images (data URLs) of the latest
user message go to the model with it. The caller's function tools and
C{tool_choice} are passed to the model; a call to one ends the run and comes back
as C{tool_calls}.
"""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from klein import Klein
from twisted.internet.defer import Deferred
from twisted.web.iweb import IRequest

from openclaw.agents.providers.base import Image, Tool, ToolCall, Usage
from openclaw.agents.turn import RunOutcome
from openclaw.gateway.http import agentcalls as A
from openclaw.gateway.http.auth import BearerAuth
from openclaw.gateway.http.responses import endpoint_disabled, error_body, json_response
from openclaw.http_settings import CHAT_COMPLETIONS_KEY, ImageLimits

NO_RESPONSE = "No response from OpenClaw."
MISSING_USER = "Missing user message in `messages`."
INVALID_IMAGE = "Invalid image_url content in `messages`."
MAX_IMAGE_PARTS = 8
MAX_TOTAL_IMAGE_BYTES = 20 * 1024 * 1024
#: Tool-call arguments are streamed in fragments of at most this many characters.
ARGUMENT_FRAGMENT = 256
_FINISH = {"length": "length", "toolUse": "tool_calls"}
_SAMPLING = (("temperature", 0, 2, "0 and 2"), ("top_p", 0, 1, "0 and 1"),
             ("frequency_penalty", -2, 2, "-2.0 and 2.0"), ("presence_penalty", -2, 2, "-2.0 and 2.0"))


@dataclass(frozen=True)
class ChatCall:
    """A validated request: what the run needs and how to answer."""

    model: str
    stream: bool
    includeUsage: bool
    user: str | None
    message: str
    system: str
    tools: tuple[Tool, ...]
    choice: A.ToolChoice
    maxTokens: int | None
    temperature: float | None
    #: The latest user message's images.
    images: tuple[Image, ...] = ()


# reading the request ----------------------------------------------------------------


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str))
    return ""


def _image_urls(content: Any) -> list[Any]:
    if not isinstance(content, list):
        return []
    urls = []
    for part in content:
        if isinstance(part, dict) and part.get("type") == "image_url":
            source = part.get("image_url")
            urls.append(source.get("url") if isinstance(source, dict) else source)
    return urls


def check_images(urls: list[Any], limits: ImageLimits) -> tuple[Image, ...]:
    """The latest user message's images: base64 data URLs of allowed types within the size limits."""
    if len(urls) > MAX_IMAGE_PARTS:
        raise A.InvalidRequest(INVALID_IMAGE)
    total = 0
    images = []
    for url in urls:
        if not isinstance(url, str) or not url.startswith("data:"):
            raise A.InvalidRequest(INVALID_IMAGE)  # URL sources are not fetched by this gateway
        meta, comma, data = url[5:].partition(",")
        mime, *params = meta.split(";")
        if not comma or "base64" not in (p.lower() for p in params) or mime.lower() not in limits.allowedMimes:
            raise A.InvalidRequest(INVALID_IMAGE)
        size = len(data) * 3 // 4 - data[-2:].count("=")
        total += size
        if not data or size > limits.maxBytes or total > MAX_TOTAL_IMAGE_BYTES:
            raise A.InvalidRequest(INVALID_IMAGE)
        try:
            base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise A.InvalidRequest(INVALID_IMAGE) from None
        images.append(Image(mime.lower(), data))
    return tuple(images)


def _call_summary(calls: Any) -> str:
    lines = []
    for call in calls if isinstance(calls, list) else ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            lines.append(f"(called tool {function.get('name')} as {call.get('id')} with {function.get('arguments')})")
    return "\n".join(lines)


def conversation(messages: Any, limits: ImageLimits) -> tuple[str, str, tuple[Image, ...]]:
    """The run's message, extra system prompt and images (the latest user message's, checked) from C{messages}."""
    if not isinstance(messages, list):
        raise A.InvalidRequest("messages: expected an array")
    system: list[str] = []
    entries: list[A.Entry] = []
    lastUser = max((i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "user"), default=-1)
    images: tuple[Image, ...] = ()
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise A.InvalidRequest(f"messages.{i}: expected an object with a role")
        role, text = m["role"], _text(m.get("content")).strip()
        if role in ("system", "developer"):
            if text:
                system.append(text)
        elif role == "user":
            if i == lastUser:
                images = check_images(_image_urls(m.get("content")), limits)
                text = text or (A.IMAGE_ONLY if images else "")
            if text:
                entries.append(A.Entry("user", "User", text))
        elif role == "assistant":
            body = "\n".join(p for p in (text, _call_summary(m.get("tool_calls"))) if p)
            if body:
                entries.append(A.Entry("assistant", "Assistant", body))
        elif role in ("tool", "function"):
            ref = m.get("tool_call_id") if role == "tool" else m.get("name")
            entries.append(A.Entry("tool", f"Tool {ref}" if isinstance(ref, str) and ref else "Tool", text))
    if not any(e.role in ("user", "tool") for e in entries):
        raise A.InvalidRequest(MISSING_USER)
    return A.conversation_message(entries), "\n\n".join(system), images


def _token_cap(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**53 - 1:
        raise A.InvalidRequest(f"{name} must be a positive safe integer")
    return value


def _sampling(body: dict[str, Any]) -> None:
    for name, low, high, shown in _SAMPLING:
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise A.InvalidRequest(f"`{name}` must be a finite number.")
        if not low <= value <= high:
            raise A.InvalidRequest(f"`{name}` must be between {shown}.")
    seed = body.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, float)) or not math.isfinite(seed):
            raise A.InvalidRequest("`seed` must be a finite number.")
        if seed != int(seed):
            raise A.InvalidRequest("`seed` must be an integer.")
    stop = body.get("stop")
    if stop is not None:
        stops = [stop] if isinstance(stop, str) else stop
        if not isinstance(stops, list):
            raise A.InvalidRequest("Invalid stop: stop must be a string or array of strings")
        if len(stops) > 4:
            raise A.InvalidRequest("Invalid stop: stop supports at most 4 sequences")
        if not all(isinstance(s, str) and s for s in stops):
            raise A.InvalidRequest("Invalid stop: stop entries must be non-empty strings")
    fmt = body.get("response_format")
    if fmt is not None:
        if not isinstance(fmt, dict):
            raise A.InvalidRequest("Invalid response_format: response_format must be an object")
        if fmt.get("type") not in ("text", "json_object", "json_schema"):
            raise A.InvalidRequest("Invalid response_format: response_format.type must be text, json_object, or json_schema")


def parse(body: dict[str, Any], limits: ImageLimits) -> ChatCall:
    """A request body as a L{ChatCall}. @raise InvalidRequest: with the message of §4.5."""
    model = body.get("model", "openclaw")
    if not isinstance(model, str) or not model.strip():
        raise A.InvalidRequest(A.INVALID_MODEL)
    maxTokens = _token_cap(body, "max_completion_tokens") or _token_cap(body, "max_tokens")
    _sampling(body)
    try:
        tools = A.function_tools(body.get("tools"), lambda tool: tool.get("function"))
        choice = A.tool_choice(body.get("tool_choice"), tools, lambda c: (c.get("function") or {}).get("name"))
    except ValueError as e:
        raise A.InvalidRequest(f"Invalid tools/tool_choice: {e}") from None
    message, system, images = conversation(body.get("messages"), limits)
    options = body.get("stream_options")
    user = body.get("user")
    stream = body.get("stream") is True
    return ChatCall(
        model=model, stream=stream, includeUsage=stream and isinstance(options, dict) and options.get("include_usage") is True,
        user=user if isinstance(user, str) and user.strip() else None, message=message, system=system,
        tools=choice.offered(tools), choice=choice, maxTokens=maxTokens,
        temperature=float(body["temperature"]) if body.get("temperature") is not None else None, images=images,
    )


# the answer -------------------------------------------------------------------------


def usage_body(usage: Usage | None) -> dict[str, Any]:
    usage = usage or Usage()
    prompt = usage.input + usage.cacheRead
    body: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": usage.output, "total_tokens": prompt + usage.output}
    if usage.cacheRead:
        body["prompt_tokens_details"] = {"cached_tokens": usage.cacheRead}
    return body


def wire_call(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": orjson.dumps(call.arguments).decode()}}


def finish_reason(outcome: RunOutcome) -> str:
    if outcome.toolCalls:
        return "tool_calls"
    return _FINISH.get(outcome.stopReason or "", "stop")


class ChatCompletions:
    app = Klein()

    def __init__(self, hub, bearer: BearerAuth, reactor: Any) -> None:
        self._hub = hub
        self._bearer = bearer
        self._reactor = reactor

    @property
    def maxBodyBytes(self) -> int:
        return self._hub.settings.http.chatCompletions.maxBodyBytes

    @app.route("/v1/chat/completions", methods=None)
    def completions(self, request: IRequest):
        settings = self._hub.settings.http.chatCompletions
        if not settings.enabled:
            return endpoint_disabled(request, CHAT_COMPLETIONS_KEY)
        return Deferred.fromCoroutine(self._complete(request, settings))

    async def _complete(self, request: IRequest, settings) -> bytes | None:
        try:
            body = await A.admitted_json(request, self._bearer, settings.maxBodyBytes, self._reactor)
            call = parse(body, settings.images)
            runtime = self._hub.agents
            target = A.resolve_target(request, runtime, call.model, call.user, "openai")
        except A.Refused as r:
            return r.answer
        except A.InvalidRequest as e:
            return e.answer(request)
        runId = f"chatcmpl_{uuid.uuid4()}"
        run = A.HttpRun(runtime, request, A.new_run_request(runId, target, runtime, call))
        created = int(self._reactor.seconds())
        if call.stream:
            return await _Stream(request, run, call, created).play()
        outcome = await run.whenDone()
        return self._answer(request, runId, call, created, outcome)

    @staticmethod
    def _answer(request: IRequest, runId: str, call: ChatCall, created: int, outcome: RunOutcome) -> bytes:
        if outcome.status != "ok":
            return json_response(request, 500, error_body("internal error", "api_error"))
        unsatisfied = call.choice.unsatisfied(outcome.toolCalls)
        if unsatisfied:
            return json_response(request, 502, error_body(unsatisfied, "api_error"))
        message: dict[str, Any] = {"role": "assistant", "content": outcome.text or ("" if outcome.toolCalls else NO_RESPONSE)}
        if outcome.toolCalls:
            message["tool_calls"] = [wire_call(c) for c in outcome.toolCalls]
        return json_response(request, 200, {
            "id": runId, "object": "chat.completion", "created": created, "model": call.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(outcome)}],
            "usage": usage_body(outcome.usage),
        })


class _Stream:
    """One streamed answer: the role chunk at once, text as the run produces it, then the ending."""

    def __init__(self, request: IRequest, run: A.HttpRun, call: ChatCall, created: int) -> None:
        self._request = request
        self._run = run
        self._call = call
        self._head = {"id": run.request.runId, "object": "chat.completion.chunk", "created": created, "model": call.model}

    def _write(self, data: bytes) -> None:
        if not self._run.clientGone:
            self._request.write(data)

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> None:
        self._write(A.sse_frame({**self._head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}))

    async def play(self) -> None:
        A.start_event_stream(self._request)
        self._chunk({"role": "assistant"})
        self._run.onText(lambda delta: self._chunk({"content": delta}))
        outcome = await self._run.whenDone()
        if self._run.clientGone:
            return None
        problem = A.failure_message(outcome) if outcome.status != "ok" else self._call.choice.unsatisfied(outcome.toolCalls)
        if problem:
            self._write(A.sse_frame(error_body(problem, "api_error")))
        else:
            self._ending(outcome)
        self._write(A.SSE_DONE)
        return None  # (klein finishes the request)

    def _ending(self, outcome: RunOutcome) -> None:
        for index, call in enumerate(outcome.toolCalls):
            self._chunk({"tool_calls": [{"index": index, "id": call.id, "type": "function",
                                         "function": {"name": call.name, "arguments": ""}}]})
            arguments = orjson.dumps(call.arguments).decode()
            for start in range(0, len(arguments), ARGUMENT_FRAGMENT):
                self._chunk({"tool_calls": [{"index": index, "function": {"arguments": arguments[start:start + ARGUMENT_FRAGMENT]}}]})
        self._chunk({}, finish_reason(outcome))
        if self._call.includeUsage:
            self._write(A.sse_frame({**self._head, "choices": [], "usage": usage_body(outcome.usage)}))


__all__ = ["ChatCall", "ChatCompletions", "check_images", "conversation", "parse"]
