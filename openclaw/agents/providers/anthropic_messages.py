"""
C{anthropic-messages}: POST C{<baseUrl>/v1/messages} with C{stream: true}; the
answer is SSE with named events (C{message_start}, C{content_block_start|delta|stop}
for text and C{tool_use} blocks, C{message_delta} with the stop reason and output
usage, C{message_stop}; C{ping} and C{error} in between).
"""

from __future__ import annotations

from typing import Any

import orjson

from openclaw.agents.models import ModelEntry
from openclaw.agents.providers.base import (
    Collector,
    Completion,
    Message,
    ModelRequest,
    ProviderError,
    ToolChoice,
    Usage,
    kind_of,
)
from openclaw.agents.providers.sse import SSEParser
from openclaw.agents.providers.streaming import StreamingProvider

API_VERSION = "2023-06-01"
#: The API requires C{max_tokens}; used when neither request, model nor provider sets one.
DEFAULT_MAX_TOKENS = 4096

_STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "toolUse"}


class AnthropicMessagesProvider(StreamingProvider):
    def url(self) -> str:
        return f"{self.settings.baseUrl}/v1/messages"

    def headers(self) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if self.settings.apiKey:
            headers["x-api-key"] = self.settings.apiKey
        return headers

    def body(self, request: ModelRequest, model: ModelEntry | None) -> dict:
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": self.maxTokens(request, model) or DEFAULT_MAX_TOKENS,
            "messages": messages(request.messages),
            "stream": True,
        }
        if request.system:
            body["system"] = request.system
        choice = request.toolChoice
        tools = self.tools(request, model) if choice is None or choice.mode != "none" else ()
        if tools:
            body["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
            ]
            if choice is not None:
                body["tool_choice"] = tool_choice(choice)
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    def decoder(self, collector: Collector) -> "EventDecoder":
        return EventDecoder(collector)


def messages(history: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Transcript → the API's turns: tool results are C{tool_result} blocks of a user turn, and
    consecutive turns of one role are merged (the API wants them alternating)."""
    turns: list[dict[str, Any]] = []
    for m in history:
        if m.role == "toolResult":
            role = "user"
            blocks = [{"type": "tool_result", "tool_use_id": m.toolCallId, "content": m.content, "is_error": m.isError}]
        else:
            role = m.role
            blocks = [{"type": "text", "text": m.content}] if m.content else []
            blocks += [{"type": "image", "source": {"type": "base64", "media_type": i.mimeType, "data": i.data}}
                       for i in m.images]
            blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in m.toolCalls]
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return turns


def tool_choice(choice: ToolChoice) -> dict[str, Any]:
    """The API's choice: C{auto}, C{any} (some tool) or one C{tool} by name (C{none} sends no tools instead)."""
    if choice.name is not None:
        return {"type": "tool", "name": choice.name}
    return {"type": "any" if choice.mode == "required" else "auto"}


class EventDecoder:
    def __init__(self, collector: Collector) -> None:
        self._collector = collector
        self._sse = SSEParser()
        self._usage = Usage()
        self._stop: str | None = None
        self._finished = False

    def feed(self, data: bytes) -> None:
        for event in self._sse.feed(data):
            if event.event != "ping":
                self._event(event.event, orjson.loads(event.data))

    def _event(self, name: str, payload: dict[str, Any]) -> None:
        if name == "error":
            error = payload.get("error") or {}
            raise ProviderError(kind_of(str(error.get("type", ""))), f"the model stream reported an error: {error.get('message', '')}")
        if name == "message_start":
            usage = (payload.get("message") or {}).get("usage") or {}
            self._usage = Usage(
                input=usage.get("input_tokens") or 0,
                output=usage.get("output_tokens") or 0,
                cacheRead=usage.get("cache_read_input_tokens") or 0,
                cacheWrite=usage.get("cache_creation_input_tokens") or 0,
            )
        elif name == "content_block_start":
            block = payload.get("content_block") or {}
            if block.get("type") == "tool_use":
                self._collector.toolStart(payload["index"], block.get("id", ""), block.get("name", ""))
            elif block.get("type") == "text" and block.get("text"):
                self._collector.text(block["text"])
        elif name == "content_block_delta":
            delta = payload.get("delta") or {}
            if delta.get("type") == "text_delta":
                self._collector.text(delta.get("text", ""))
            elif delta.get("type") == "input_json_delta":
                self._collector.toolArguments(payload["index"], delta.get("partial_json", ""))
        elif name == "content_block_stop":
            if payload.get("index") in self._collector.openToolCalls():
                self._collector.toolEnd(payload["index"])
        elif name == "message_delta":
            self._stop = (payload.get("delta") or {}).get("stop_reason") or self._stop
            output = (payload.get("usage") or {}).get("output_tokens")
            if output is not None:
                self._usage = Usage(self._usage.input, output, self._usage.cacheRead, self._usage.cacheWrite)
        elif name == "message_stop":
            self._finished = True
            self._collector.emit(self._usage)

    def end(self) -> Completion:
        if not self._finished:
            raise ProviderError("transient", "the model stream ended before message_stop")
        return self._collector.finish(_STOP_REASONS.get(self._stop or "end_turn", "stop"))
