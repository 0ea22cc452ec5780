"""
A scripted model upstream served by twisted.web on 127.0.0.1, for provider tests.

Each POST takes the next L{Reply}: a status, headers, and a body script of byte
chunks (each written as it comes) and gates (a Deferred the script waits on), then
an ending: C{finish} the response, C{hang} (keep the connection open, send
nothing more) or C{cut} (drop the connection mid-body). Every request is recorded
with its parsed JSON body and a C{closed} Deferred that fires when the response
finished or errbacks when the connection went away first, so a test can assert
that the upstream saw the client close.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence, Union

import pytest
import pytest_twisted

from twisted.internet.defer import CancelledError, Deferred, succeed
from twisted.internet.task import Clock
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

Step = Union[bytes, Deferred]


@dataclass
class Reply:
    body: Sequence[Step] = ()
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    end: str = "finish"


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: Any
    closed: Deferred


class FakeUpstream(Resource):
    isLeaf = True

    def __init__(self, contentType: bytes) -> None:
        super().__init__()
        self._contentType = contentType
        self._replies: deque[Reply] = deque()
        self.requests: list[Seen] = []
        self._waiting: list[tuple[int, Deferred]] = []

    def reply(self, *replies: Reply) -> None:
        self._replies.extend(replies)

    def arrived(self, count: int) -> Deferred:
        """Fires with the C{count}-th request once it has arrived."""
        if len(self.requests) >= count:
            return succeed(self.requests[count - 1])
        d: Deferred = Deferred()
        self._waiting.append((count, d))
        return d

    def render_POST(self, request):
        closed: Deferred = Deferred()
        request.notifyFinish().addCallbacks(lambda _: closed.callback("finished"), closed.errback)
        seen = Seen(
            path=request.path.decode(),
            headers={k.decode().lower(): v[0].decode() for k, v in request.requestHeaders.getAllRawHeaders()},
            body=json.loads(request.content.read() or b"null"),
            closed=closed,
        )
        self.requests.append(seen)
        for count, d in [w for w in self._waiting if w[0] <= len(self.requests)]:
            self._waiting.remove((count, d))
            d.callback(self.requests[count - 1])
        reply = self._replies.popleft()
        request.setResponseCode(reply.status)
        request.setHeader(b"content-type", self._contentType)
        for name, value in reply.headers.items():
            request.setHeader(name.encode(), value.encode())
        self._play(request, list(reply.body), reply.end, closed)
        return NOT_DONE_YET

    def _play(self, request, steps: list[Step], end: str, closed: Deferred) -> None:
        while steps:
            if closed.called:
                return
            step = steps.pop(0)
            if isinstance(step, Deferred):
                step.addCallback(lambda _: self._play(request, steps, end, closed))
                return
            request.write(step)
        if closed.called:
            return
        if end == "finish":
            request.finish()
        elif end == "cut":  # what was written still goes out, but the body never ends
            request.channel.transport.loseConnection()


#: Only keeps a broken client from hanging the suite; no test asserts on elapsed time.
FAILSAFE_SECONDS = 30


def closed_by_client(seen: Seen, reactor) -> Deferred:
    """Fires True once the upstream saw the connection close before its response finished."""
    d = Deferred()
    seen.closed.addCallbacks(lambda _: d.callback(False), lambda _: d.callback(True))
    return d.addTimeout(FAILSAFE_SECONDS, reactor)


def serve(reactor, upstream: FakeUpstream):
    """Listen on 127.0.0.1, port 0; returns the listening port."""
    return reactor.listenTCP(0, Site(upstream), interface="127.0.0.1")


def base_url(port) -> str:
    return f"http://127.0.0.1:{port.getHost().port}"


class NotifyingClock(Clock):
    """
    A Clock that says when something is scheduled, so a test advances it only then.
    The news comes on the next turn of the real reactor, after the code that
    scheduled has returned to it (never from inside that code).
    """

    def __init__(self, reactor) -> None:
        super().__init__()
        self._reactor = reactor
        self._scheduled: list[Deferred] = []

    def callLater(self, *args, **kwargs):
        call = super().callLater(*args, **kwargs)
        waiting, self._scheduled = self._scheduled, []
        for d in waiting:
            self._reactor.callLater(0, d.callback, call)
        return call

    def scheduled(self) -> Deferred:
        """Fires at the next C{callLater}."""
        d: Deferred = Deferred()
        self._scheduled.append(d)
        return d


def sse(*events: tuple[str | None, Any]) -> bytes:
    """SSE text: C{(event name or None, payload)}; a str payload is sent as is."""
    out = []
    for name, payload in events:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        out.append((f"event: {name}\n" if name else "") + f"data: {data}\n\n")
    return "".join(out).encode()


def ndjson(*lines: Any) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


class Events:
    """Records stream events; C{next(kind)} fires when an event of that type arrives."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._waiting: list[tuple[type, Deferred]] = []

    def __call__(self, event: Any) -> None:
        self.items.append(event)
        for kind, d in [w for w in self._waiting if isinstance(event, w[0])]:
            self._waiting.remove((kind, d))
            d.callback(event)

    def next(self, kind: type) -> Deferred:
        d: Deferred = Deferred()
        self._waiting.append((kind, d))
        return d

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.items if isinstance(e, kind)]


async def cancel_after_first(kind: type, start: Callable[[Events], Deferred]) -> None:
    """
    Start a stream (C{start(events)}), cancel it as soon as its first C{kind} event
    arrived, and check the caller sees the cancellation.
    """
    events = Events()
    first = events.next(kind)
    done = start(events)
    await first
    done.cancel()
    with pytest.raises(CancelledError):
        await done


@pytest_twisted.async_yield_fixture
async def upstream(reactor):
    """An SSE upstream on 127.0.0.1 for one test (its C{base} URL set); import it as a fixture."""
    fake = FakeUpstream(b"text/event-stream")
    port = serve(reactor, fake)
    fake.base = base_url(port)
    yield fake
    await port.stopListening()
