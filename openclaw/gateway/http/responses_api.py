"""
C{POST /v1/responses} (OpenResponses, http-api.md §4.6): one agent run per request,
answered as one C{response} object or streamed as typed SSE events (C{event:} and
C{data:} lines) ending with C{data: [DONE]}.

C{instructions}, system/developer items and the text of attached files form the
run's extra system prompt (file text fenced as untrusted content); the latest user
item or C{function_call_output} is what the run answers, earlier items go along as
context; the images of the latest user item go to the model with it. C{previous_response_id} continues that response's session when the agent
and the session header agree (remembered in memory, bounded, for a while).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from klein import Klein
from twisted.internet.defer import Deferred
from twisted.web.iweb import IRequest

from openclaw.agents.providers.base import Image, Tool, Usage
from openclaw.agents.turn import RunOutcome
from openclaw.gateway.http import agentcalls as A
from openclaw.gateway.http.auth import BearerAuth
from openclaw.gateway.http.responses import endpoint_disabled, json_response
from openclaw.http_settings import RESPONSES_KEY, FileLimits, ImageLimits, ResponsesSettings

MISSING_USER = "Missing user message in `input`."
NO_RESPONSE = "No response from OpenClaw."
#: How many response ids are remembered for C{previous_response_id}, and for how long (seconds).
REMEMBERED_RESPONSES = 500
REMEMBER_SECONDS = 30 * 60
_TEXT_PARTS = ("input_text", "output_text", "text")


@dataclass(frozen=True)
class ResponsesCall:
    model: str
    stream: bool
    user: str | None
    previous: str | None
    message: str
    system: str
    tools: tuple[Tool, ...]
    choice: A.ToolChoice
    maxTokens: int | None
    temperature: float | None
    #: The latest user item's images.
    images: tuple[Image, ...] = ()


# reading the request ----------------------------------------------------------------


def _decoded(source: Any, limit: int, mimes: tuple[str, ...], what: str) -> tuple[str, bytes]:
    """A base64 source's media type and bytes. @raise InvalidRequest."""
    if not isinstance(source, dict):
        raise A.InvalidRequest(f"{what}: source is required")
    if source.get("type") == "url":
        raise A.InvalidRequest(f"{what}: URL sources are not fetched by this gateway; send the content as base64")
    mime = source.get("media_type")
    data = source.get("data")
    if source.get("type") != "base64" or not isinstance(data, str) or not isinstance(mime, str):
        raise A.InvalidRequest(f"{what}: source must be {{type: \"base64\", media_type, data}}")
    if mime.split(";")[0].strip().lower() not in mimes:
        raise A.InvalidRequest(f"{what}: media type {mime} is not allowed")
    if len(data) * 3 // 4 > limit + 2:
        raise A.InvalidRequest(f"{what}: larger than {limit} bytes")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise A.InvalidRequest(f"{what}: data is not base64") from None
    if len(raw) > limit:
        raise A.InvalidRequest(f"{what}: larger than {limit} bytes")
    return mime, raw


def file_text(part: dict[str, Any], limits: FileLimits) -> str:
    """An C{input_file}'s text, fenced as untrusted content for the system prompt."""
    mime, raw = _decoded(part.get("source"), limits.maxBytes, limits.allowedMimes, "input_file")
    if mime.lower().startswith("application/pdf"):
        raise A.InvalidRequest("input_file: PDF text extraction is not supported by this gateway yet")
    try:
        text = raw.decode("utf-8")[:limits.maxChars]
    except UnicodeDecodeError:
        raise A.InvalidRequest("input_file: content is not UTF-8 text") from None
    fence = uuid.uuid4().hex[:12]
    name = part.get("source", {}).get("filename") or part.get("filename") or "file"
    return (f'<<<EXTERNAL_UNTRUSTED_CONTENT id="{fence}">>>\n[file: {name}]\n{text}\n'
            f'<<<END_EXTERNAL_UNTRUSTED_CONTENT id="{fence}">>>')


def image_source(part: dict[str, Any]) -> Any:
    """
    An C{input_image}'s source: OpenResponses' C{source}, or the OpenAI form, an
    C{image_url} (a base64 C{data:} URL reads as a base64 source, any other URL as a URL source).
    """
    url = part.get("image_url")
    if "source" in part or not isinstance(url, str):
        return part.get("source")
    if not url.startswith("data:"):
        return {"type": "url", "url": url}
    meta, _, data = url[5:].partition(",")
    mime, *params = meta.split(";")
    return {"type": "base64", "media_type": mime, "data": data} if "base64" in params else {"media_type": mime}


class _Reader:
    """
    Folds C{input} items into conversation entries, system text, attached files
    and the images of the latest user item (a top-level C{input_image} item joins
    the user item before it).
    """

    def __init__(self, settings: ResponsesSettings) -> None:
        self._settings = settings
        self.entries: list[A.Entry] = []
        self.system: list[str] = []
        self.files: list[str] = []
        self.images: list[Image] = []

    def _parts(self, content: Any) -> tuple[str, list[Image]]:
        if isinstance(content, str):
            return content, []
        texts, images = [], []
        for part in content if isinstance(content, list) else ():
            if not isinstance(part, dict):
                continue
            if part.get("type") in _TEXT_PARTS and isinstance(part.get("text"), str):
                texts.append(part["text"])
            else:
                images += self._attachment(part)
        return "\n".join(texts), images

    def _attachment(self, part: dict[str, Any]) -> list[Image]:
        """An image part as the image it carries; a file part's text goes to C{files}."""
        kind = part.get("type")
        if kind == "input_image":
            limits: ImageLimits = self._settings.images
            mime, raw = _decoded(image_source(part), limits.maxBytes, limits.allowedMimes, "input_image")
            return [Image(mime.split(";")[0].strip().lower(), base64.b64encode(raw).decode())]
        if kind == "input_file":
            self.files.append(file_text(part, self._settings.files))
        return []

    def item(self, item: Any) -> None:
        if not isinstance(item, dict):
            raise A.InvalidRequest("input: items must be objects")
        kind = item.get("type", "message")
        if kind == "message":
            role = item.get("role")
            text, images = self._parts(item.get("content"))
            text = text.strip()
            if role in ("system", "developer"):
                if text:
                    self.system.append(text)
            elif role == "user":
                self.images = images
                text = text or (A.IMAGE_ONLY if images else "")
                if text:
                    self.entries.append(A.Entry("user", "User", text))
            elif role == "assistant" and text:
                self.entries.append(A.Entry("assistant", "Assistant", text))
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else orjson.dumps(output).decode() if output is not None else ""
            self.entries.append(A.Entry("tool", f"Tool {item.get('call_id') or ''}".strip(), text))
        elif kind == "function_call":
            self.entries.append(A.Entry(
                "assistant", "Assistant",
                f"(called tool {item.get('name')} as {item.get('call_id')} with {item.get('arguments')})",
            ))
        elif kind in ("input_image", "input_file"):
            self.images += self._attachment(item)


def parse(body: dict[str, Any], settings: ResponsesSettings) -> ResponsesCall:
    """A request body as a L{ResponsesCall}. @raise InvalidRequest: with the message of §4.6."""
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise A.InvalidRequest("model: a non-empty string is required")
    maxTokens = body.get("max_output_tokens")
    if maxTokens is not None and (isinstance(maxTokens, bool) or not isinstance(maxTokens, int) or maxTokens <= 0):
        raise A.InvalidRequest("max_output_tokens must be a positive integer")
    temperature = body.get("temperature")
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))
                                    or not 0 <= temperature <= 2):
        raise A.InvalidRequest("`temperature` must be between 0 and 2.")
    try:
        tools = A.function_tools(body.get("tools"), lambda tool: tool)
        choice = A.tool_choice(body.get("tool_choice"), tools, lambda c: c.get("name"))
    except ValueError as e:
        raise A.InvalidRequest(f"Invalid tools/tool_choice: {e}") from None
    reader = _Reader(settings)
    raw = body.get("input")
    if isinstance(raw, str):
        reader.item({"type": "message", "role": "user", "content": raw})
    elif isinstance(raw, list):
        for item in raw:
            reader.item(item)
    elif raw is not None:
        raise A.InvalidRequest("input: expected a string or an array of items")
    if not any(e.role in ("user", "tool") for e in reader.entries):
        raise A.InvalidRequest(MISSING_USER)
    instructions = body.get("instructions")
    system = [instructions.strip()] if isinstance(instructions, str) and instructions.strip() else []
    user, previous = body.get("user"), body.get("previous_response_id")
    return ResponsesCall(
        model=model, stream=body.get("stream") is True, user=user if isinstance(user, str) and user.strip() else None,
        previous=previous if isinstance(previous, str) and previous else None,
        message=A.conversation_message(reader.entries), system="\n\n".join(system + reader.system + reader.files),
        tools=choice.offered(tools), choice=choice, maxTokens=maxTokens,
        temperature=float(temperature) if temperature is not None else None, images=tuple(reader.images),
    )


# the answer -------------------------------------------------------------------------


def usage_body(usage: Usage | None) -> dict[str, Any]:
    usage = usage or Usage()
    prompt = usage.input + usage.cacheRead
    return {
        "input_tokens": prompt, "input_tokens_details": {"cached_tokens": usage.cacheRead, "cache_write_tokens": usage.cacheWrite},
        "output_tokens": usage.output, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": prompt + usage.output,
    }


def message_item(itemId: str, text: str, status: str, phase: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "message", "id": itemId, "role": "assistant",
                            "content": [{"type": "output_text", "text": text}]}
    if phase:
        item["phase"] = phase
    item["status"] = status
    return item


def call_items(outcome: RunOutcome) -> list[dict[str, Any]]:
    return [
        {"type": "function_call", "id": f"call_{uuid.uuid4()}", "call_id": c.id, "name": c.name,
         "arguments": orjson.dumps(c.arguments).decode(), "status": "completed"}
        for c in outcome.toolCalls
    ]


def status_of(outcome: RunOutcome, call: ResponsesCall) -> tuple[str, dict[str, Any] | None]:
    """C{completed}, C{incomplete} or C{failed}, with the error of a failed one."""
    if outcome.status != "ok":
        return "failed", {"code": "server_error", "message": A.failure_message(outcome)}
    unsatisfied = call.choice.unsatisfied(outcome.toolCalls)
    if unsatisfied:
        return "failed", {"code": "api_error", "message": unsatisfied}
    return ("incomplete" if outcome.stopReason == "length" else "completed"), None


class _Identity:
    def __init__(self, responseId: str, created: int, model: str) -> None:
        self.responseId, self.created, self.model = responseId, created, model

    def resource(self, status: str, output: list[dict[str, Any]], usage: Usage | None = None,
                 error: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.responseId, "object": "response", "created_at": self.created, "status": status,
            "model": self.model, "output": output, "usage": usage_body(usage),
        }
        if error is not None:
            body["error"] = error
        if status == "incomplete":
            body["incomplete_details"] = {"reason": "max_output_tokens"}
        return body


@dataclass(frozen=True)
class _Remembered:
    agentId: str
    sessionKey: str
    sessionHeader: str | None
    at: float


class ResponsesApi:
    app = Klein()

    def __init__(self, hub, bearer: BearerAuth, reactor: Any) -> None:
        self._hub = hub
        self._bearer = bearer
        self._reactor = reactor
        #: response id → the session it ran in, for C{previous_response_id}.
        self._sessions: OrderedDict[str, _Remembered] = OrderedDict()

    @property
    def maxBodyBytes(self) -> int:
        return self._hub.settings.http.responses.maxBodyBytes

    @app.route("/v1/responses", methods=None)
    def responses(self, request: IRequest):
        settings = self._hub.settings.http.responses
        if not settings.enabled:
            return endpoint_disabled(request, RESPONSES_KEY)
        return Deferred.fromCoroutine(self._respond(request, settings))

    def _target(self, request: IRequest, call: ResponsesCall) -> A.Target:
        runtime = self._hub.agents
        target = A.resolve_target(request, runtime, call.model, call.user, "openresponses")
        previous = self._sessions.get(call.previous) if call.previous else None
        if previous is None or self._reactor.seconds() - previous.at > REMEMBER_SECONDS:
            return target
        if previous.agentId == target.agentId and previous.sessionHeader == A.header(request, "x-openclaw-session-key"):
            return A.Target(target.agentId, previous.sessionKey, target.model)
        return target

    def _remember(self, responseId: str, target: A.Target, request: IRequest) -> None:
        self._sessions[responseId] = _Remembered(
            target.agentId, target.sessionKey, A.header(request, "x-openclaw-session-key"), self._reactor.seconds(),
        )
        while len(self._sessions) > REMEMBERED_RESPONSES:
            self._sessions.popitem(last=False)

    async def _respond(self, request: IRequest, settings: ResponsesSettings) -> bytes | None:
        try:
            body = await A.admitted_json(request, self._bearer, settings.maxBodyBytes, self._reactor)
            call = parse(body, settings)
            target = self._target(request, call)
        except A.Refused as r:
            return r.answer
        except A.InvalidRequest as e:
            return e.answer(request)
        runtime = self._hub.agents
        responseId = f"resp_{uuid.uuid4()}"
        run = A.HttpRun(runtime, request, A.new_run_request(responseId, target, runtime, call))
        self._remember(responseId, target, request)
        identity = _Identity(responseId, int(self._reactor.seconds()), call.model)
        if call.stream:
            return await _Stream(request, run, call, identity).play()
        outcome = await run.whenDone()
        status, error = status_of(outcome, call)
        output: list[dict[str, Any]] = []
        if status != "failed":
            text = outcome.text or ("" if outcome.toolCalls else NO_RESPONSE)
            if text:
                phase = "commentary" if outcome.toolCalls else "final_answer"
                output.append(message_item(f"msg_{uuid.uuid4()}", text, "completed", phase))
            output += call_items(outcome)
        code = 200 if error is None else 502 if error["code"] == "api_error" else 500
        return json_response(request, code, identity.resource(status, output, outcome.usage, error))


class _Stream:
    """One streamed response: the opening events at once, text deltas as the run produces them, then the ending."""

    def __init__(self, request: IRequest, run: A.HttpRun, call: ResponsesCall, identity: _Identity) -> None:
        self._request = request
        self._run = run
        self._call = call
        self._identity = identity
        self._itemId = f"msg_{uuid.uuid4()}"
        self._text = ""

    def _event(self, kind: str, **fields: Any) -> None:
        if not self._run.clientGone:
            self._request.write(A.sse_frame({"type": kind, **fields}, kind))

    def _delta(self, delta: str) -> None:
        self._text += delta
        self._event("response.output_text.delta", item_id=self._itemId, output_index=0, content_index=0, delta=delta)

    async def play(self) -> None:
        A.start_event_stream(self._request)
        opening = self._identity.resource("in_progress", [])
        self._event("response.created", response=opening)
        self._event("response.in_progress", response=opening)
        self._event("response.output_item.added", output_index=0,
                    item={**message_item(self._itemId, "", "in_progress"), "content": []})
        part = {"item_id": self._itemId, "output_index": 0, "content_index": 0}
        self._event("response.content_part.added", **part, part={"type": "output_text", "text": ""})
        self._run.onText(self._delta)
        outcome = await self._run.whenDone()
        if self._run.clientGone:
            return None
        status, error = status_of(outcome, self._call)
        if status == "failed":
            self._event("response.failed", response=self._identity.resource("failed", [], outcome.usage, error))
        else:
            if not self._text and not outcome.toolCalls:
                self._delta(NO_RESPONSE)
            self._event("response.output_text.done", **part, text=self._text)
            self._event("response.content_part.done", **part, part={"type": "output_text", "text": self._text})
            phase = "commentary" if outcome.toolCalls else "final_answer"
            item = message_item(self._itemId, self._text, "incomplete" if status == "incomplete" else "completed", phase)
            self._event("response.output_item.done", output_index=0, item=item)
            output = [item]
            for call in call_items(outcome):
                self._event("response.output_item.added", output_index=len(output), item={**call, "status": "in_progress"})
                self._event("response.output_item.done", output_index=len(output), item=call)
                output.append(call)
            self._event(f"response.{status}", response=self._identity.resource(status, output, outcome.usage))
        if not self._run.clientGone:
            self._request.write(A.SSE_DONE)
        return None


__all__ = ["ResponsesApi", "ResponsesCall", "file_text", "parse"]
