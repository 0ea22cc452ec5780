"""
Runs through a whole gateway: an embedded gateway on 127.0.0.1 whose model
provider C{fakeup} (OpenAI chat-completions SSE) is a scripted upstream on a port
of its own, and whose timers run on a L{Clock} the test advances.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from tests.agents.upstream import FAILSAFE_SECONDS, Reply, sse
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.conftest import local_config, serving, start_gateway

MODEL = "fakeup/fake-model"


def chunk(delta: dict | None = None, finish: str | None = None, usage: dict | None = None) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1765000000, "model": "fake-model",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish}] if usage is None else [],
    }
    if usage is not None:
        body["usage"] = usage
    return sse((None, body))


DONE = sse((None, "[DONE]"))


def text_reply(*words: str, end: str = "finish") -> Reply:
    """A streamed reply, one SSE chunk per word, with usage and C{[DONE]}."""
    body = [chunk({"role": "assistant", "content": ""})]
    body += [chunk({"content": w}) for w in words]
    body += [chunk(finish="stop"), chunk(usage={"prompt_tokens": 10, "completion_tokens": len(words)}), DONE]
    return Reply(body, end=end)


def openai_tool_call(callId: str, name: str, args: dict) -> Reply:
    """One streamed tool call, its arguments split across two chunks."""
    raw = json.dumps(args)
    return Reply([
        chunk({"role": "assistant", "content": None, "tool_calls": [
            {"index": 0, "id": callId, "type": "function", "function": {"name": name, "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": raw[:5]}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": raw[5:]}}]}),
        chunk(finish="tool_calls"), chunk(usage={"prompt_tokens": 7, "completion_tokens": 3}), DONE,
    ])


def run_config(base: str, **agents: Any) -> dict:
    config = local_config()
    config["models"] = {"providers": {"fakeup": {
        "baseUrl": f"{base}/v1", "api": "openai-completions", "apiKey": "sk-test-0123456789",
        "models": [{"id": "fake-model"}, {"id": "backup-model"}],
    }}}
    config["agents"] = {"defaults": {"model": MODEL, **agents}}
    return config


def telegram_run_config(base: str, api, token: str, **telegram: Any) -> dict:
    """L{run_config} plus a Telegram account on the Bot API double C{api}, open to every DM, no debounce."""
    config = run_config(base)
    config["channels"] = {"telegram": {"botToken": token, "apiRoot": api.root, "dmPolicy": "open", "allowFrom": ["*"],
                                       **telegram}}
    config["messages"] = {"inbound": {"debounceMs": 0}}
    return config


class RetryClock(Clock):
    """
    The gateway's clock. Tests advance it by hand; L{retryDue} lets a model retry
    (a delay the failover waits on the clock) happen as soon as it is scheduled.
    """

    def __init__(self, reactor) -> None:
        super().__init__()
        self._reactor = reactor
        self._waiting: list[Deferred] = []

    @staticmethod
    def _isRetry(call) -> bool:
        return getattr(call.func, "__name__", "") == "callback"  # deferLater: a Deferred fired by the clock

    def callLater(self, *args, **kwargs):
        call = super().callLater(*args, **kwargs)
        if self._isRetry(call) and self._waiting:
            self._reactor.callLater(0, self._fire)  # after the scheduling code has returned
        return call

    def _fire(self) -> None:
        due = [c for c in self.getDelayedCalls() if self._isRetry(c)]
        if due and self._waiting:
            self.advance(min(c.getTime() for c in due) - self.seconds())
            self._waiting.pop(0).callback(None)

    def retryDue(self) -> Deferred:
        """Fires once the next pending retry delay has been advanced past."""
        d: Deferred = Deferred()
        self._waiting.append(d)
        self._reactor.callLater(0, self._fire)
        return d.addTimeout(FAILSAFE_SECONDS, self._reactor)


@pytest.fixture
def clock(reactor) -> RetryClock:
    return RetryClock(reactor)


@pytest.fixture
def agent_defaults() -> dict:
    """Override in a module for other C{agents.defaults}."""
    return {}


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, upstream, clock, agent_defaults):
    service = start_gateway(reactor, environ, run_config(upstream.base, **agent_defaults), clock=clock)
    async with serving(service, reactor) as running:
        yield running


async def operator(gateway, **kwargs):
    """A client with read, write and admin scopes that records every event."""
    kwargs.setdefault("scopes", ("operator.admin", "operator.read", "operator.write"))
    return await gateway.connect(**kwargs)


def run_events(client, runId: str, event: str = "agent") -> list[dict]:
    return [f["payload"] for f in client.events if f["event"] == event and f["payload"]["runId"] == runId]


def event_arrived(client, match) -> Deferred:
    """Fires with the first event frame (already received or arriving later) that C{match(frame)} accepts."""
    for frame in client.events:
        if match(frame):
            d: Deferred = Deferred()
            d.callback(frame)
            return d
    d = Deferred()
    previous = client._onEvent

    def watch(frame):
        if previous is not None:
            previous(frame)
        if not d.called and match(frame):
            client._onEvent = previous
            d.callback(frame)

    client._onEvent = watch
    return d


def terminal_chat(client, runId: str) -> Deferred:
    return event_arrived(
        client, lambda f: f["event"] == "chat" and f["payload"]["runId"] == runId
        and f["payload"]["state"] in ("final", "aborted", "error")
    )
