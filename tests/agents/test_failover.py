"""
Failover over a model plan with real upstreams: same-model retries on the test
clock (retry-after respected within a cap), then the next fallback; no retry once
output reached the caller; cancelling reaches the upstream.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import CancelledError

from openclaw.agents.models import ModelsSettings
from openclaw.agents.providers.base import Message, ModelRequest, ProviderError, TextDelta
from openclaw.agents.providers.failover import Failover
from openclaw.agents.providers.registry import ProviderRegistry
from openclaw.config.secrets import SecretsSnapshot
from tests.agents.test_anthropic_messages import START, TEXT_BLOCK, end
from tests.agents.test_openai_completions import TEXT_STREAM
from tests.agents.upstream import Events, NotifyingClock, Reply, cancel_after_first, closed_by_client

REQUEST = ModelRequest(model="", messages=(Message("user", "hi"),))
ANTHROPIC_OK = Reply([START, *TEXT_BLOCK, *end("end_turn")])


def too_many(seconds=None):
    return Reply([b'{"error":{"message":"Rate limit reached","type":"requests"}}'], status=429,
                 headers={"retry-after": str(seconds)} if seconds is not None else {})


@pytest.fixture
def retryClock(reactor):
    return NotifyingClock(reactor)


@pytest.fixture
def setup(http, upstreams, retryClock):
    """C{(failover, plan, primary upstream, fallback upstream)}: an OpenAI-compatible primary, an Anthropic fallback."""
    primary, primaryUrl = upstreams()
    fallback, fallbackUrl = upstreams()
    models = ModelsSettings.fromConfig({
        "models": {"mode": "replace", "providers": {
            "vllm": {"baseUrl": f"{primaryUrl}/v1", "apiKey": "sk-vllm-0123456789"},
            "proxy": {"baseUrl": fallbackUrl, "api": "anthropic-messages", "apiKey": "sk-ant-0123456789"},
        }},
        "agents": {"defaults": {"model": {"primary": "vllm/qwen3-8b", "fallbacks": ["proxy/claude-x"]}}},
    }, SecretsSnapshot(), {})
    failover = Failover(ProviderRegistry(models, http).provider, retryClock, retries=2, baseDelay=1.0, maxDelay=30.0)
    return failover, models.plan(), primary, fallback


async def advance_each_retry(clock: NotifyingClock, delays: list[float]) -> None:
    for delay in delays:
        call = await clock.scheduled()
        assert call.getTime() - clock.seconds() == delay
        clock.advance(delay)


@pytest_twisted.ensureDeferred
async def test_429_retries_after_retry_after_then_falls_back(setup, retryClock):
    failover, plan, primary, fallback = setup
    primary.reply(too_many(2), too_many(3), too_many(2))
    fallback.reply(ANTHROPIC_OK)
    events = Events()
    done = failover.stream(plan, REQUEST, events)
    await advance_each_retry(retryClock, [2.0, 3.0])
    completion = await done
    assert completion.model == "proxy/claude-x" and completion.text == "Let me look."
    assert len(primary.requests) == 3 and len(fallback.requests) == 1
    assert [r.body["model"] for r in primary.requests] == ["qwen3-8b"] * 3
    assert fallback.requests[0].body["model"] == "claude-x"


@pytest_twisted.ensureDeferred
async def test_500_retries_the_same_model_with_backoff(setup, retryClock):
    failover, plan, primary, fallback = setup
    primary.reply(Reply([b"upstream exploded"], status=500), Reply([b"again"], status=502), Reply(TEXT_STREAM))
    done = failover.stream(plan, REQUEST, Events())
    await advance_each_retry(retryClock, [1.0, 2.0])
    completion = await done
    assert completion.model == "vllm/qwen3-8b" and completion.text == "Hello!"
    assert fallback.requests == []


@pytest_twisted.ensureDeferred
async def test_retry_after_beyond_the_cap_falls_back_at_once(setup):
    failover, plan, primary, fallback = setup
    primary.reply(too_many(3600))
    fallback.reply(ANTHROPIC_OK)
    completion = await failover.stream(plan, REQUEST, Events())
    assert completion.model == "proxy/claude-x" and len(primary.requests) == 1


@pytest_twisted.ensureDeferred
async def test_auth_error_falls_back_without_retry(setup):
    failover, plan, primary, fallback = setup
    primary.reply(Reply([b'{"error":{"message":"Invalid API key"}}'], status=401))
    fallback.reply(ANTHROPIC_OK)
    completion = await failover.stream(plan, REQUEST, Events())
    assert completion.model == "proxy/claude-x" and len(primary.requests) == 1


@pytest_twisted.ensureDeferred
async def test_bad_request_ends_the_turn(setup):
    failover, plan, primary, fallback = setup
    primary.reply(Reply([b'{"error":{"message":"messages: field required"}}'], status=400))
    with pytest.raises(ProviderError) as e:
        await failover.stream(plan, REQUEST, Events())
    assert e.value.kind == "other" and str(e.value) == "vllm/qwen3-8b: HTTP 400: messages: field required"
    assert fallback.requests == []


@pytest_twisted.ensureDeferred
async def test_every_model_failing_names_each(setup):
    failover, plan, primary, fallback = setup
    primary.reply(too_many(99))
    fallback.reply(Reply([b'{"type":"error","error":{"type":"not_found_error","message":"model: claude-x"}}'], status=404))
    with pytest.raises(ProviderError) as e:
        await failover.stream(plan, REQUEST, Events())
    assert e.value.kind == "not_found"
    assert str(e.value) == "vllm/qwen3-8b: HTTP 429: Rate limit reached; proxy/claude-x: HTTP 404: model: claude-x"


@pytest_twisted.ensureDeferred
async def test_unknown_provider_in_the_plan_moves_on(setup):
    failover, plan, primary, fallback = setup
    fallback.reply(ANTHROPIC_OK)
    completion = await failover.stream((plan[0].__class__("gone", "m"), plan[1]), REQUEST, Events())
    assert completion.model == "proxy/claude-x"


@pytest_twisted.ensureDeferred
async def test_no_retry_once_output_reached_the_caller(setup):
    failover, plan, primary, fallback = setup
    primary.reply(Reply(TEXT_STREAM[:2], end="cut"))
    events = Events()
    with pytest.raises(ProviderError) as e:
        await failover.stream(plan, REQUEST, events)
    assert e.value.kind == "transient"
    assert [t.text for t in events.of(TextDelta)] == ["Hel"]
    assert len(primary.requests) == 1 and fallback.requests == []


@pytest_twisted.ensureDeferred
async def test_cancel_while_waiting_to_retry(setup, retryClock):
    failover, plan, primary, fallback = setup
    primary.reply(too_many(5))
    scheduled = retryClock.scheduled()
    done = failover.stream(plan, REQUEST, Events())
    await scheduled
    done.cancel()
    with pytest.raises(CancelledError):
        await done
    assert retryClock.getDelayedCalls() == []
    assert len(primary.requests) == 1 and fallback.requests == []


@pytest_twisted.ensureDeferred
async def test_cancel_mid_stream_reaches_the_upstream(reactor, setup):
    failover, plan, primary, fallback = setup
    primary.reply(Reply(TEXT_STREAM[:2], end="hang"))
    await cancel_after_first(TextDelta, lambda events: failover.stream(plan, REQUEST, events))
    assert await closed_by_client(primary.requests[0], reactor)
    assert fallback.requests == []
