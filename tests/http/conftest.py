"""
The OpenAI-compatible endpoints through a whole gateway on 127.0.0.1: its model
provider C{fakeup} is a scripted upstream (L{tests.agents.upstream}), and the
official C{openai} SDK (a blocking client) runs in a thread, so the reactor
serving both keeps turning.
"""

from __future__ import annotations

from typing import Any, Callable

import openai
import pytest
import pytest_twisted
from twisted.internet import threads

from tests.agents.runs.conftest import RetryClock, run_config
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.conftest import TOKEN, serving, start_gateway

ENABLED = {"endpoints": {"chatCompletions": {"enabled": True}, "responses": {"enabled": True}}}


@pytest.fixture
def clock(reactor) -> RetryClock:
    return RetryClock(reactor)


@pytest.fixture
def http_config() -> dict:
    """C{gateway.http}; override in a module (say, to switch an endpoint off)."""
    return ENABLED


@pytest.fixture
def extra_config() -> dict:
    """More top-level config for a module (agents, embeddings)."""
    return {}


def gateway_config(base: str, http: dict, extra: dict) -> dict:
    config = run_config(base)
    config["gateway"]["http"] = http
    for key, value in extra.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    return config


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, upstream, clock, http_config, extra_config):
    service = start_gateway(reactor, environ, gateway_config(upstream.base, http_config, extra_config), clock=clock)
    async with serving(service, reactor) as running:
        yield running


def sdk(gateway, token: str = TOKEN, **kwargs: Any) -> openai.OpenAI:
    """The official client against the gateway (no retries: every answer is the first one)."""
    return openai.OpenAI(base_url=gateway.http + "/v1", api_key=token, max_retries=0, timeout=30, **kwargs)


def in_thread(reactor, call: Callable[..., Any], *args: Any, **kwargs: Any):
    """A blocking SDK call, run off the reactor."""
    return threads.deferToThreadPool(reactor, reactor.getThreadPool(), call, *args, **kwargs)
