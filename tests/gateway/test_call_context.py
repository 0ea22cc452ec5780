"""
What a handler can do through its CallContext, over a real socket: events to its own
connection, subscriptions that end with the connection, a second C{res} for the
same request, cancellation when the connection closes, and the cap on requests in
flight. A test-only method family, registered on an embedded gateway, exercises it.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from openclaw.cli.client import GatewayCallError
from openclaw.gateway import calls
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes
from openclaw.protocol.errors import UNAVAILABLE, GatewayError

CORE_EVENTS = [
    "connect.challenge", "tick", "health", "presence", "shutdown", "device.pair.requested", "device.pair.resolved",
    "heartbeat", "sessions.changed", "session.message", "agent", "chat",
]


def _agent_event(runId: str, seq: int, text: str) -> dict:
    return {"runId": runId, "seq": seq, "stream": "assistant", "ts": 1, "data": {"text": text}}


class ProbeFamily:
    """Methods that use each capability of the context, and what happened to them."""

    def __init__(self, registry: MethodRegistry) -> None:
        self.started: list[str] = []
        self.cancelled: list[str] = []
        self.cleaned: list[str] = []
        self.stopped: list[str] = []
        self.subscribers: dict[str, CallContext] = {}
        self.runs: dict[str, Deferred] = {}
        self.whenStarted: Deferred = Deferred()
        registry.addEvent("test.probe")
        name = {"type": "string", "minLength": 1}
        registry.add("test.emit", scopes.READ, self.emit, closed(runId=name, count={"type": "integer"}))
        registry.add("test.subscribe", scopes.READ, self.subscribe, closed(topic=name))
        registry.add("test.unsubscribe", scopes.READ, self.unsubscribe, closed(topic=name))
        registry.add("test.run", scopes.READ, self.run, closed(runId=name))
        registry.add("test.hang", scopes.READ, self.hang, closed(tag=name))
        registry.add("test.quick", scopes.READ, self.quick, closed(tag=name))
        registry.add("test.coroutine", scopes.READ, self.coroutine, closed(tag=name))
        registry.add("test.broken", scopes.READ, self.broken, closed())

    def emit(self, params: dict, ctx: CallContext) -> dict:
        for seq in range(1, params["count"] + 1):
            ctx.emit("agent", _agent_event(params["runId"], seq, f"part {seq}"))
        return {"emitted": params["count"]}

    def subscribe(self, params: dict, ctx: CallContext) -> dict:
        topic = params["topic"]
        key = f"{ctx.connId}/{topic}"

        def stop() -> None:
            self.stopped.append(topic)
            self.subscribers.pop(key, None)

        ctx.subscribe(topic, stop)
        self.subscribers[key] = ctx
        return {"subscribed": True}

    def unsubscribe(self, params: dict, ctx: CallContext) -> dict:
        return {"unsubscribed": ctx.unsubscribe(params["topic"])}

    def publish(self, runId: str, seq: int) -> None:
        for ctx in list(self.subscribers.values()):
            ctx.emit("agent", _agent_event(runId, seq, "published"), dropIfSlow=True)

    def run(self, params: dict, ctx: CallContext) -> Deferred:
        runId = params["runId"]
        ctx.reply({"runId": runId, "status": "accepted"})
        ctx.emit("agent", _agent_event(runId, 1, "working"))
        self.runs[runId] = Deferred()
        return self.runs[runId]

    def hang(self, params: dict, ctx: CallContext) -> Deferred:
        tag = params["tag"]
        self.started.append(tag)
        ctx.onClose(lambda: self.cleaned.append(tag))
        d: Deferred = Deferred(lambda _: self.cancelled.append(tag))
        if not self.whenStarted.called:
            self.whenStarted.callback(tag)
        return d

    def quick(self, params: dict, ctx: CallContext) -> dict:
        ctx.onClose(lambda: self.cleaned.append(params["tag"]))
        return {"ok": True}

    async def coroutine(self, params: dict, ctx: CallContext) -> dict:
        self.runs[params["tag"]] = Deferred()
        return {"tag": params["tag"], "got": await self.runs[params["tag"]]}

    def broken(self, params: dict, ctx: CallContext) -> dict:
        raise RuntimeError("a bug in a handler")


@pytest.fixture
def family(gateway) -> ProbeFamily:
    return ProbeFamily(gateway.service.hub.methods)


def _server_side(gateway, client):
    return gateway.service.hub.clients[client.hello["server"]["connId"]]


async def _closed_on_both_sides(gateway, client) -> None:
    server = _server_side(gateway, client)
    await client.close()
    await server.whenClosed()


@pytest_twisted.ensureDeferred
async def test_hello_lists_the_registered_events_in_order(gateway):
    client = await gateway.connect()
    assert client.hello["features"]["events"] == CORE_EVENTS


@pytest_twisted.ensureDeferred
async def test_families_add_their_events(gateway, family):
    client = await gateway.connect()
    assert client.hello["features"]["events"] == [*CORE_EVENTS, "test.probe"]


def test_an_event_is_registered_once():
    registry = MethodRegistry()
    registry.addEvent("agent")
    with pytest.raises(ValueError, match="agent registered twice"):
        registry.addEvent("agent")


@pytest_twisted.ensureDeferred
async def test_unregistered_events_are_never_sent(gateway):
    with pytest.raises(ValueError, match="not registered"):
        gateway.service.hub.broadcast("test.probe", {"x": 1})


@pytest_twisted.ensureDeferred
async def test_emit_reaches_the_caller_only_before_its_answer(gateway, family):
    caller = await gateway.connect()
    other = await gateway.connect()
    before = len(caller.frames)
    assert await caller.call("test.emit", {"runId": "r1", "count": 3}) == {"emitted": 3}
    sent = caller.frames[before:]
    assert [f["type"] for f in sent] == ["event", "event", "event", "res"]
    seqs = [f["seq"] for f in sent[:3]]
    assert seqs == list(range(seqs[0], seqs[0] + 3))  # the connection's own counter, no gap
    assert [f["payload"]["seq"] for f in sent[:3]] == [1, 2, 3]  # the run's counter
    await other.call("health")
    assert not [e for e in other.events if e["event"] == "agent"]


@pytest_twisted.ensureDeferred
async def test_emit_respects_the_callers_scopes(gateway, family):
    # a probe client keeps no scopes, so it may call nothing that emits; the rule
    # itself: an event the connection may not receive is not sent through emit either
    client = await gateway.connect()
    server = _server_side(gateway, client)
    server.scopes = ()
    before = len(client.frames)
    server.emit("agent", _agent_event("r", 1, "hidden"), False)
    server.scopes = (scopes.READ,)
    await client.call("health")
    assert [f["type"] for f in client.frames[before:]] == ["res"]


@pytest_twisted.ensureDeferred
async def test_subscriptions_end_when_the_connection_closes(gateway, family):
    a = await gateway.connect()
    b = await gateway.connect()
    await a.call("test.subscribe", {"topic": "sessions"})
    await b.call("test.subscribe", {"topic": "sessions"})
    family.publish("r1", 1)
    await a.call("health")
    await b.call("health")
    assert [e["payload"]["runId"] for e in a.events if e["event"] == "agent"] == ["r1"]
    await _closed_on_both_sides(gateway, a)
    assert family.stopped == ["sessions"]
    assert len(family.subscribers) == 1  # b's
    family.publish("r2", 2)
    await b.call("health")
    assert [e["payload"]["runId"] for e in b.events if e["event"] == "agent"] == ["r1", "r2"]


@pytest_twisted.ensureDeferred
async def test_unsubscribe_and_resubscribe(gateway, family):
    client = await gateway.connect()
    await client.call("test.subscribe", {"topic": "run:1"})
    await client.call("test.subscribe", {"topic": "run:1"})  # replaces: the first one stops
    assert family.stopped == ["run:1"]
    assert await client.call("test.unsubscribe", {"topic": "run:1"}) == {"unsubscribed": True}
    assert await client.call("test.unsubscribe", {"topic": "run:1"}) == {"unsubscribed": False}
    assert family.stopped == ["run:1", "run:1"]
    await _closed_on_both_sides(gateway, client)
    assert family.stopped == ["run:1", "run:1"]


@pytest_twisted.ensureDeferred
async def test_two_stage_reply(gateway, family):
    client = await gateway.connect()
    before = len(client.frames)
    accepted = await client.call("test.run", {"runId": "r7"})
    assert accepted == {"runId": "r7", "status": "accepted"}
    family.runs["r7"].callback({"runId": "r7", "status": "ok", "summary": "completed"})
    await client.call("health")  # answers come in order: the final one is ahead of this
    sent = [f for f in client.frames[before:] if f["type"] == "res" or f.get("event") == "agent"]
    runId = sent[0]["id"]
    assert [(f["type"], f.get("id") == runId) for f in sent] == [
        ("res", True), ("event", False), ("res", True), ("res", False),
    ]
    assert sent[2]["payload"] == {"runId": "r7", "status": "ok", "summary": "completed"}


@pytest_twisted.ensureDeferred
async def test_a_final_error_can_carry_a_payload(gateway, family):
    client = await gateway.connect()
    await client.call("test.run", {"runId": "r8"})
    family.runs["r8"].errback(
        GatewayError(UNAVAILABLE, "model failed", payload={"runId": "r8", "status": "error", "summary": "model failed"})
    )
    await client.call("health")
    final = [f for f in client.frames if f["type"] == "res" and not f["ok"]][-1]
    assert final["payload"] == {"runId": "r8", "status": "error", "summary": "model failed"}
    assert final["error"] == {"code": "UNAVAILABLE", "message": "model failed"}


@pytest_twisted.ensureDeferred
async def test_handlers_are_cancelled_when_their_connection_closes(gateway, family):
    client = await gateway.connect()
    await client.call("test.quick", {"tag": "done"})  # answered: its cleanup is dropped
    hanging = client.call("test.hang", {"tag": "h1"})
    hanging.addErrback(lambda failure: None)  # the socket closes first
    await family.whenStarted
    await client.call("health")  # the handler has returned its Deferred by now
    server = _server_side(gateway, client)
    assert server.calls.inFlight == 1
    await _closed_on_both_sides(gateway, client)
    assert family.cancelled == ["h1"]
    assert family.cleaned == ["h1"]
    assert server.calls.inFlight == 0


@pytest_twisted.ensureDeferred
async def test_requests_in_flight_are_capped(gateway, family, monkeypatch):
    monkeypatch.setattr(calls, "MAX_IN_FLIGHT", 3)
    client = await gateway.connect()
    pending = [client.call("test.hang", {"tag": f"h{n}"}) for n in range(3)]
    for d in pending:
        d.addErrback(lambda failure: None)
    with pytest.raises(GatewayCallError) as refused:
        await client.call("test.hang", {"tag": "one too many"})
    assert refused.value.error == {
        "code": "UNAVAILABLE",
        "message": "too many requests in flight (3); retry after the pending ones are answered",
        "details": {"method": "test.hang", "limit": "3 in flight per connection"},
        "retryable": True,
        "retryAfterMs": 500,
    }
    assert family.started == ["h0", "h1", "h2"]
    other = await gateway.connect()  # the cap is per connection
    assert (await other.call("health"))["ok"]


@pytest_twisted.ensureDeferred
async def test_plain_values_coroutines_and_broken_handlers(gateway, family):
    client = await gateway.connect()
    server = _server_side(gateway, client)
    assert await client.call("test.quick", {"tag": "q"}) == {"ok": True}
    assert server.calls.inFlight == 0  # answered at once: never in flight
    later = client.call("test.coroutine", {"tag": "c"})
    await client.call("health")
    assert server.calls.inFlight == 1
    family.runs["c"].callback(7)
    assert await later == {"tag": "c", "got": 7}
    with pytest.raises(GatewayCallError) as broken:
        await client.call("test.broken")
    assert broken.value.error == {"code": "UNAVAILABLE", "message": "test.broken failed"}
    assert (await client.call("test.quick", {"tag": "after"}))["ok"]
    assert server.calls.inFlight == 0
