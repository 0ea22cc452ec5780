"""Fixtures for provider tests: the owned HTTP client on a test clock, and scripted upstreams."""

from __future__ import annotations

import pytest
import pytest_twisted

from openclaw.agents.providers.http import ProviderHTTP
from tests.agents.upstream import FakeUpstream, NotifyingClock, base_url, serve


@pytest.fixture
def clock(reactor) -> NotifyingClock:
    return NotifyingClock(reactor)


@pytest_twisted.async_yield_fixture
async def http(reactor, clock):
    client = ProviderHTTP(reactor, clock=clock)
    client.startService()
    yield client
    await client.stopService()


@pytest_twisted.async_yield_fixture
async def upstreams(reactor):
    """C{upstreams(contentType)} → C{(FakeUpstream, base URL)} listening on 127.0.0.1."""
    ports = []

    def start(contentType: bytes = b"text/event-stream") -> tuple[FakeUpstream, str]:
        upstream = FakeUpstream(contentType)
        ports.append(serve(reactor, upstream))
        return upstream, base_url(ports[-1])

    yield start
    for port in ports:
        await port.stopListening()
