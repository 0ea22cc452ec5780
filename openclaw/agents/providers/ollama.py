"""
C{ollama}: the native API, POST C{<baseUrl>/api/chat} (no C{/v1}) with C{stream: true};
the answer is NDJSON, one chat object per line, the last with C{done: true}, the
stop reason and the token counts. Tool calls arrive whole (arguments as an object).
"""

from __future__ import annotations

from typing import Any

import orjson

from openclaw.agents.models import ModelEntry
from openclaw.agents.providers.base import Collector, Completion, ModelRequest, ProviderError, Usage
from openclaw.agents.providers.ndjson import NDJSONParser
from openclaw.agents.providers.streaming import StreamingProvider


class OllamaProvider(StreamingProvider):
    def url(self) -> str:
        return f"{self.settings.baseUrl}/api/chat"

    def body(self, request: ModelRequest, model: ModelEntry | None) -> dict:
        messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}] if request.system else []
        for m in request.messages:
            if m.role == "toolResult":
                messages.append({"role": "tool", "content": m.content, "tool_name": m.toolName})
            else:
                entry: dict[str, Any] = {"role": m.role, "content": m.content}
                if m.images:
                    entry["images"] = [i.data for i in m.images]
                if m.toolCalls:
                    entry["tool_calls"] = [{"function": {"name": c.name, "arguments": c.arguments}} for c in m.toolCalls]
                messages.append(entry)
        body: dict[str, Any] = {"model": request.model, "messages": messages, "stream": True}
        tools = self.tools(request, model)
        if request.toolChoice is not None:
            tools = request.toolChoice.offered(tools)  # the API has no tool_choice: offer only what may be called
        if tools:
            body["tools"] = [
                {"type": "function", "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
                for t in tools
            ]
        options: dict[str, Any] = {}
        limit = self.maxTokens(request, model)
        if limit:
            options["num_predict"] = limit
        if request.temperature is not None:
            options["temperature"] = request.temperature
        if options:
            body["options"] = options
        return body

    def decoder(self, collector: Collector) -> "LineDecoder":
        return LineDecoder(collector)


class LineDecoder:
    def __init__(self, collector: Collector) -> None:
        self._collector = collector
        self._lines = NDJSONParser()
        self._calls = 0
        self._stop: str | None = None

    def feed(self, data: bytes) -> None:
        for line in self._lines.feed(data):
            self._line(line)

    def _line(self, line: dict[str, Any]) -> None:
        if line.get("error"):
            raise ProviderError("transient", f"the model stream reported an error: {line['error']}")
        message = line.get("message") or {}
        if message.get("content"):
            self._collector.text(message["content"])
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            index = self._calls
            self._calls += 1
            self._collector.toolStart(index, call.get("id") or f"call_{index}", function.get("name", ""))
            self._collector.toolArguments(index, orjson.dumps(function.get("arguments") or {}).decode())
            self._collector.toolEnd(index)
        if line.get("done"):
            self._stop = line.get("done_reason") or "stop"
            self._collector.emit(Usage(input=line.get("prompt_eval_count") or 0, output=line.get("eval_count") or 0))

    def end(self) -> Completion:
        for line in self._lines.finish():
            self._line(line)
        if self._stop is None:
            raise ProviderError("transient", "the model stream ended before done")
        return self._collector.finish("length" if self._stop == "length" else "stop")
