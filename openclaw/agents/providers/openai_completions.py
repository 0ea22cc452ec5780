"""
C{openai-completions}: POST C{<baseUrl>/chat/completions} with C{stream: true}; the
answer is SSE C{data:} lines of C{chat.completion.chunk} objects ending with
C{data: [DONE]}. Spoken by OpenAI and by vLLM, LM Studio, llama.cpp's server and
other compatible servers.
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

_STOP_REASONS = {"stop": "stop", "length": "length", "tool_calls": "toolUse", "function_call": "toolUse"}


class OpenAICompletionsProvider(StreamingProvider):
    def url(self) -> str:
        return f"{self.settings.baseUrl}/chat/completions"

    def body(self, request: ModelRequest, model: ModelEntry | None) -> dict:
        messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}] if request.system else []
        for m in request.messages:
            if m.role == "toolResult":
                messages.append({"role": "tool", "tool_call_id": m.toolCallId, "content": m.content})
            elif m.role == "assistant" and m.toolCalls:
                messages.append({
                    "role": "assistant",
                    "content": m.content or None,
                    "tool_calls": [
                        {"id": c.id, "type": "function",
                         "function": {"name": c.name, "arguments": orjson.dumps(c.arguments).decode()}}
                        for c in m.toolCalls
                    ],
                })
            else:
                messages.append({"role": m.role, "content": content(m)})
        body: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        tools = self.tools(request, model)
        if tools:
            body["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in tools
            ]
            if request.toolChoice is not None:
                body["tool_choice"] = tool_choice(request.toolChoice)
        limit = self.maxTokens(request, model)
        if limit:
            body[(model.maxTokensField if model else None) or "max_tokens"] = limit
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    def decoder(self, collector: Collector) -> "ChunkDecoder":
        return ChunkDecoder(collector)


def content(m: Message) -> str | list[dict[str, Any]]:
    """A message's content: its text, or text and C{image_url} parts (data URLs) when it carries images."""
    if not m.images:
        return m.content
    parts: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
    parts += [{"type": "image_url", "image_url": {"url": i.dataUrl()}} for i in m.images]
    return parts


def tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    if choice.name is not None:
        return {"type": "function", "function": {"name": choice.name}}
    return choice.mode


class ChunkDecoder:
    def __init__(self, collector: Collector) -> None:
        self._collector = collector
        self._sse = SSEParser()
        self._stop: str | None = None
        self._started: set[int] = set()

    def feed(self, data: bytes) -> None:
        for event in self._sse.feed(data):
            if event.data.strip() != "[DONE]":
                self._chunk(orjson.loads(event.data))

    def _chunk(self, chunk: dict[str, Any]) -> None:
        error = chunk.get("error")
        if error:
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            code = str(error.get("code") or error.get("type") or "") if isinstance(error, dict) else ""
            raise ProviderError(kind_of(code), f"the model stream reported an error: {message}")
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") or {}
            if delta.get("content"):
                self._collector.text(delta["content"])
            for call in delta.get("tool_calls") or ():
                index = call.get("index", 0)
                function = call.get("function") or {}
                if index not in self._started:
                    self._started.add(index)
                    self._collector.toolStart(index, call.get("id") or f"call_{index}", function.get("name", ""))
                self._collector.toolArguments(index, function.get("arguments") or "")
            if choice.get("finish_reason"):
                self._stop = choice["finish_reason"]
                self._collector.endOpenToolCalls()
        usage = chunk.get("usage")
        if usage:
            cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
            self._collector.emit(Usage(
                input=(usage.get("prompt_tokens") or 0) - cached,
                output=usage.get("completion_tokens") or 0,
                cacheRead=cached,
            ))

    def end(self) -> Completion:
        if self._stop is None:
            raise ProviderError("transient", "the model stream ended before the model finished")
        return self._collector.finish(_STOP_REASONS.get(self._stop, "stop"))
