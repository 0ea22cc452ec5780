"""
What every provider shares: the normalized request, the normalized stream events,
the classified error, and the collector that turns events into a L{Completion}.

A provider is anything with C{stream(request, onEvent) -> Deferred[Completion]}:
C{onEvent} receives each L{StreamEvent} as soon as its bytes are parsed, and the
Deferred fires once the upstream says the turn is over, or fails with a
L{ProviderError}. Cancelling the Deferred cancels the upstream request at once:
that is the one way to abort (a Twisted caller already holds the Deferred, so no
separate cancel token is needed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Protocol, Union

from twisted.internet.defer import Deferred

Role = Literal["user", "assistant", "toolResult"]
StopReason = Literal["stop", "length", "toolUse"]
ErrorKind = Literal["transient", "rate_limit", "auth", "overload", "timeout", "not_found", "other"]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Image:
    """An image a user message carries: its media type and its bytes as base64 (no data-URL prefix)."""

    mimeType: str
    data: str

    def dataUrl(self) -> str:
        return f"data:{self.mimeType};base64,{self.data}"


@dataclass(frozen=True)
class Message:
    """
    One transcript message. C{user} messages may carry C{images}; C{assistant}
    messages may carry C{toolCalls}; a C{toolResult} answers the call
    C{toolCallId} (of tool C{toolName}).
    """

    role: Role
    content: str = ""
    images: tuple[Image, ...] = ()
    toolCalls: tuple[ToolCall, ...] = ()
    toolCallId: str | None = None
    toolName: str | None = None
    isError: bool = False


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    #: JSON schema of the arguments object.
    parameters: dict[str, Any]


@dataclass(frozen=True)
class ToolChoice:
    """C{auto} (the model decides), C{none} (no tool calls), C{required} (some call), or C{function} C{name}."""

    mode: Literal["auto", "none", "required", "function"] = "auto"
    name: str | None = None

    def offered(self, tools: tuple[Tool, ...]) -> tuple[Tool, ...]:
        """The tools a model that cannot be told the choice gets: none, only the named one, or all."""
        if self.mode == "none":
            return ()
        if self.name is not None:
            return tuple(t for t in tools if t.name == self.name)
        return tools

    def unsatisfied(self, calls: Iterable[Any]) -> str | None:
        """Why the calls a run made do not satisfy a required choice (None: they do, or none was required)."""
        names = [c.name for c in calls]
        if self.name is not None and self.name not in names:
            return f"tool_choice required a {self.name} tool call, but the agent did not produce one"
        if self.mode == "required" and not names:
            return "tool_choice=required was not satisfied by the agent response"
        return None


@dataclass(frozen=True)
class ModelRequest:
    model: str
    messages: tuple[Message, ...]
    system: str = ""
    tools: tuple[Tool, ...] = ()
    #: How the model must use C{tools}; None: the API's default (C{auto}).
    toolChoice: ToolChoice | None = None
    maxTokens: int | None = None
    temperature: float | None = None
    #: Whole-request budget in seconds (what is left of the run's timeout); None: no bound.
    timeoutSeconds: float | None = None


# -- stream events --------------------------------------------------------------


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallStart:
    index: int
    id: str
    name: str


@dataclass(frozen=True)
class ToolCallDelta:
    index: int
    arguments: str


@dataclass(frozen=True)
class ToolCallEnd:
    index: int
    call: ToolCall


@dataclass(frozen=True)
class Usage:
    input: int = 0
    output: int = 0
    cacheRead: int = 0
    cacheWrite: int = 0


@dataclass(frozen=True)
class Stop:
    reason: StopReason


StreamEvent = Union[TextDelta, ToolCallStart, ToolCallDelta, ToolCallEnd, Usage, Stop]
EventSink = Callable[[StreamEvent], None]


class ProviderError(Exception):
    """
    A failed model call, classified so failover can decide: C{kind} is one of
    L{ErrorKind}; C{retryAfter} is the upstream's hint in seconds. Messages carry
    the upstream's error text (bounded), never a key or a header.
    """

    def __init__(self, kind: ErrorKind, message: str, status: int | None = None, retryAfter: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retryAfter = retryAfter


def kind_of(code: str) -> ErrorKind:
    """The kind of an error an upstream reports by name inside a stream (C{overloaded_error}, C{rate_limit_exceeded})."""
    code = code.lower()
    for needle, kind in _ERROR_NAMES:
        if needle in code:
            return kind
    return "transient"


_ERROR_NAMES: tuple[tuple[str, ErrorKind], ...] = (
    ("rate_limit", "rate_limit"),
    ("overloaded", "overload"),
    ("authentication", "auth"),
    ("permission", "auth"),
    ("api_key", "auth"),
    ("not_found", "not_found"),
    ("timeout", "timeout"),
    ("invalid_request", "other"),
)


class Provider(Protocol):
    def stream(self, request: ModelRequest, onEvent: EventSink) -> "Deferred[Completion]": ...


# -- assembling a turn ------------------------------------------------------------


@dataclass
class Completion:
    """What one streamed turn produced, built by L{Collector} from the events."""

    text: str = ""
    toolCalls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    stopReason: StopReason | None = None
    #: The model ref that answered (set by failover).
    model: str | None = None


class Collector:
    """
    Passes each event on and folds it into a L{Completion}. The tool-call helpers
    keep per-index argument buffers so each API module only reports what its wire
    format says (start, argument text, end).
    """

    def __init__(self, onEvent: EventSink) -> None:
        self._onEvent = onEvent
        self.completion = Completion()
        self.emitted = False
        self._text: list[str] = []
        self._calls: dict[int, tuple[str, str, list[str]]] = {}

    def emit(self, event: StreamEvent) -> None:
        if isinstance(event, TextDelta):
            if not event.text:
                return
            self._text.append(event.text)
        elif isinstance(event, ToolCallEnd):
            self.completion.toolCalls.append(event.call)
        elif isinstance(event, Usage):
            self.completion.usage = event
        elif isinstance(event, Stop):
            self.completion.stopReason = event.reason
        self.emitted = True
        self._onEvent(event)

    def text(self, text: str) -> None:
        self.emit(TextDelta(text))

    def toolStart(self, index: int, callId: str, name: str) -> None:
        self._calls[index] = (callId, name, [])
        self.emit(ToolCallStart(index, callId, name))

    def toolArguments(self, index: int, text: str) -> None:
        if index not in self._calls:
            raise ProviderError("other", f"tool call arguments for unknown tool call #{index}")
        if text:
            self._calls[index][2].append(text)
            self.emit(ToolCallDelta(index, text))

    def toolEnd(self, index: int) -> None:
        callId, name, parts = self._calls.pop(index)
        raw = "".join(parts).strip() or "{}"
        try:
            arguments = json.loads(raw)
        except ValueError:
            raise ProviderError("other", f"tool call {name!r} has arguments that are not JSON") from None
        if not isinstance(arguments, dict):
            raise ProviderError("other", f"tool call {name!r} has arguments that are not an object")
        self.emit(ToolCallEnd(index, ToolCall(callId, name, arguments)))

    def openToolCalls(self) -> set[int]:
        return set(self._calls)

    def endOpenToolCalls(self) -> None:
        """End every started call (APIs that mark the end of all calls at once)."""
        for index in sorted(self._calls):
            self.toolEnd(index)

    def finish(self, reason: StopReason) -> Completion:
        self.endOpenToolCalls()
        if self.completion.toolCalls and reason == "stop":
            reason = "toolUse"
        self.emit(Stop(reason))
        self.completion.text = "".join(self._text)
        return self.completion


class StreamDecoder(Protocol):
    """One API's response body, bytes in; reports to the L{Collector} it was made with."""

    def feed(self, data: bytes) -> None: ...

    def end(self) -> Completion:
        """The body ended: the completion, or L{ProviderError} if the turn was not finished."""
        ...
