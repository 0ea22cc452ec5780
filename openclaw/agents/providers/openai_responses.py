"""
C{openai-responses}: POST C{<baseUrl>/responses} with C{stream: true}; the answer is
SSE with named events: C{response.output_item.added|done} (messages and
C{function_call} items), C{response.output_text.delta},
C{response.function_call_arguments.delta}, then C{response.completed},
C{response.incomplete} or C{response.failed} (or an C{error} event).
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
    StopReason,
    ToolChoice,
    Usage,
    kind_of,
)
from openclaw.agents.providers.sse import SSEParser
from openclaw.agents.providers.streaming import StreamingProvider


class OpenAIResponsesProvider(StreamingProvider):
    def url(self) -> str:
        return f"{self.settings.baseUrl}/responses"

    def body(self, request: ModelRequest, model: ModelEntry | None) -> dict:
        body: dict[str, Any] = {"model": request.model, "input": items(request.messages), "stream": True, "store": False}
        if request.system:
            body["instructions"] = request.system
        tools = self.tools(request, model)
        if tools:
            body["tools"] = [
                {"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters}
                for t in tools
            ]
            if request.toolChoice is not None:
                body["tool_choice"] = tool_choice(request.toolChoice)
        limit = self.maxTokens(request, model)
        if limit:
            body["max_output_tokens"] = limit
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    def decoder(self, collector: Collector) -> "EventDecoder":
        return EventDecoder(collector)


def items(history: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Transcript → input items: tool calls and their outputs are items of their own."""
    out: list[dict[str, Any]] = []
    for m in history:
        if m.role == "toolResult":
            out.append({"type": "function_call_output", "call_id": m.toolCallId, "output": m.content})
            continue
        parts: list[dict[str, Any]] = []
        if m.content:
            parts.append({"type": "input_text" if m.role == "user" else "output_text", "text": m.content})
        parts += [{"type": "input_image", "image_url": i.dataUrl()} for i in m.images]
        if parts:
            out.append({"role": m.role, "content": parts})
        out.extend(
            {"type": "function_call", "call_id": c.id, "name": c.name, "arguments": orjson.dumps(c.arguments).decode()}
            for c in m.toolCalls
        )
    return out


def tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    return {"type": "function", "name": choice.name} if choice.name is not None else choice.mode


class EventDecoder:
    def __init__(self, collector: Collector) -> None:
        self._collector = collector
        self._sse = SSEParser()
        self._stop: StopReason | None = None

    def feed(self, data: bytes) -> None:
        for event in self._sse.feed(data):
            payload = orjson.loads(event.data)
            self._event(payload.get("type") or event.event, payload)

    def _event(self, name: str, payload: dict[str, Any]) -> None:
        index = payload.get("output_index", 0)
        if name == "response.output_text.delta":
            self._collector.text(payload.get("delta", ""))
        elif name == "response.output_item.added":
            item = payload.get("item") or {}
            if item.get("type") == "function_call":
                self._collector.toolStart(index, item.get("call_id") or item.get("id", ""), item.get("name", ""))
                self._collector.toolArguments(index, item.get("arguments") or "")
        elif name == "response.function_call_arguments.delta":
            self._collector.toolArguments(index, payload.get("delta", ""))
        elif name == "response.output_item.done":
            if index in self._collector.openToolCalls():
                self._collector.toolEnd(index)
        elif name in ("response.completed", "response.incomplete"):
            response = payload.get("response") or {}
            self._usage(response.get("usage") or {})
            reason = (response.get("incomplete_details") or {}).get("reason")
            self._stop = "length" if reason == "max_output_tokens" else "stop"
        elif name == "response.failed":
            error = (payload.get("response") or {}).get("error") or {}
            self._error(error)
        elif name == "error":
            self._error(payload)

    def _usage(self, usage: dict[str, Any]) -> None:
        cached = (usage.get("input_tokens_details") or {}).get("cached_tokens") or 0
        self._collector.emit(Usage(
            input=(usage.get("input_tokens") or 0) - cached,
            output=usage.get("output_tokens") or 0,
            cacheRead=cached,
        ))

    @staticmethod
    def _error(error: dict[str, Any]) -> None:
        raise ProviderError(
            kind_of(str(error.get("code") or error.get("type") or "")),
            f"the model stream reported an error: {error.get('message', '')}",
        )

    def end(self) -> Completion:
        if self._stop is None:
            raise ProviderError("transient", "the model stream ended before the response completed")
        return self._collector.finish(self._stop)
