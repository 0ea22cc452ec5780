"""
The owned HTTP client: error statuses, timeouts on the test clock, cut streams, and
cancellation that the upstream sees as a closed connection.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import CancelledError, Deferred

from openclaw.agents.providers.base import ProviderError
from openclaw.agents.providers.http import classify_status, error_message, retry_after
from twisted.web.http_headers import Headers

from tests.agents.upstream import Events, FakeUpstream, Reply, base_url, cancel_after_first, closed_by_client, serve

KEY = "sk-secret-0123456789abcdef"
IDLE = 10.0


def post(http, base, onData, timeout=None):
    return http.post(f"{base}/v1/x", {"authorization": f"Bearer {KEY}"}, {"q": 1}, onData, IDLE, timeout)


@pytest_twisted.ensureDeferred
async def test_body_arrives_chunk_by_chunk_and_the_request_is_json(http, upstreams):
    upstream, base = upstreams()
    gate = Deferred()
    upstream.reply(Reply([b"one", gate, b"two"]))
    chunks = Events()
    first = chunks.next(bytes)
    done = post(http, base, chunks)
    assert await first == b"one"
    assert not done.called
    gate.callback(None)
    await done
    assert b"".join(chunks.items) == b"onetwo"
    seen = upstream.requests[0]
    assert seen.body == {"q": 1} and seen.headers["content-type"] == "application/json"


@pytest.mark.parametrize("status, kind", [(500, "transient"), (502, "transient"), (503, "overload"),
                                          (529, "overload"), (401, "auth"), (403, "auth"), (404, "not_found"),
                                          (408, "timeout"), (429, "rate_limit"), (400, "other")])
def test_status_classes(status, kind):
    assert classify_status(status) == kind


@pytest_twisted.ensureDeferred
async def test_500_is_transient_with_the_upstream_message_and_no_key(http, upstreams):
    upstream, base = upstreams(b"application/json")
    upstream.reply(Reply([b'{"error":{"message":"boom for Bearer ' + KEY.encode() + b'","type":"server_error"}}'],
                         status=500))
    with pytest.raises(ProviderError) as e:
        await post(http, base, Events())
    assert (e.value.kind, e.value.status) == ("transient", 500)
    assert "HTTP 500: boom for Bearer [redacted]" == str(e.value)


@pytest_twisted.ensureDeferred
async def test_429_carries_retry_after(http, upstreams):
    upstream, base = upstreams(b"application/json")
    upstream.reply(Reply([b'{"error":{"message":"slow down"}}'], status=429, headers={"retry-after": "7"}))
    with pytest.raises(ProviderError) as e:
        await post(http, base, Events())
    assert (e.value.kind, e.value.retryAfter, str(e.value)) == ("rate_limit", 7.0, "HTTP 429: slow down")


def test_retry_after_forms():
    assert retry_after(Headers({"retry-after-ms": ["1500"], "retry-after": ["9"]}), 0) == 1.5
    assert retry_after(Headers({"retry-after": ["Thu, 01 Jan 1970 00:00:30 GMT"]}), 10.0) == 20.0
    assert retry_after(Headers({"retry-after": ["soon"]}), 0) is None
    assert retry_after(Headers({}), 0) is None


def test_error_message_shapes():
    assert error_message(b'{"error":{"message":"m"}}') == "m"
    assert error_message(b'{"error":"plain"}') == "plain"
    assert error_message(b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}') == "Overloaded"
    assert error_message(b"<html>bad gateway</html>") == "<html>bad gateway</html>"
    assert len(error_message(b"x" * 10_000)) == 300


@pytest_twisted.ensureDeferred
async def test_stream_cut_midway_is_transient(http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([b"data: partial\n\n"], end="cut"))
    chunks = Events()
    with pytest.raises(ProviderError) as e:
        await post(http, base, chunks)
    assert e.value.kind == "transient" and "cut" in str(e.value)
    assert chunks.items == [b"data: partial\n\n"]


@pytest_twisted.ensureDeferred
async def test_hung_upstream_times_out_when_idle_and_is_closed(reactor, http, upstreams, clock):
    upstream, base = upstreams()
    upstream.reply(Reply([b"data: first\n\n"], end="hang"))
    chunks = Events()
    first = chunks.next(bytes)
    done = post(http, base, chunks)
    await first
    clock.advance(IDLE - 0.5)
    assert not done.called
    clock.advance(0.5)
    with pytest.raises(ProviderError) as e:
        await done
    assert e.value.kind == "timeout" and "no data from the model for 10s" in str(e.value)
    assert await closed_by_client(upstream.requests[0], reactor)


@pytest_twisted.ensureDeferred
async def test_upstream_that_never_answers_times_out(reactor, http, upstreams, clock):
    upstream, base = upstreams()
    upstream.reply(Reply([], end="hang"))
    done = post(http, base, Events())
    seen = await upstream.arrived(1)
    clock.advance(IDLE)
    with pytest.raises(ProviderError) as e:
        await done
    assert e.value.kind == "timeout"
    assert await closed_by_client(seen, reactor)


@pytest_twisted.ensureDeferred
async def test_slow_but_steady_stream_is_not_idle_until_the_request_budget(reactor, http, upstreams, clock):
    upstream, base = upstreams()
    gates = [Deferred() for _ in range(4)]
    upstream.reply(Reply([b"a", gates[0], b"b", gates[1], b"c", gates[2], b"d", gates[3], b"e"], end="hang"))
    chunks = Events()
    arrived = chunks.next(bytes)
    done = post(http, base, chunks, timeout=40)
    for gate in gates:
        await arrived
        clock.advance(IDLE - 1)          # each gap is under the idle timeout...
        arrived = chunks.next(bytes)
        gate.callback(None)
    await arrived
    assert not done.called               # ...so 36 s of trickle is alive
    assert b"".join(chunks.items) == b"abcde"
    clock.advance(4)                     # but the whole-request budget (40 s) ends it
    with pytest.raises(ProviderError) as e:
        await done
    assert e.value.kind == "timeout" and "took over 40s" in str(e.value)
    assert await closed_by_client(upstream.requests[0], reactor)


@pytest_twisted.ensureDeferred
async def test_cancel_mid_stream_closes_the_upstream_connection(reactor, http, upstreams, clock):
    upstream, base = upstreams()
    upstream.reply(Reply([b"data: 1\n\n"], end="hang"))
    await cancel_after_first(bytes, lambda chunks: post(http, base, chunks))
    assert clock.getDelayedCalls() == []  # no timer outlives the request
    assert await closed_by_client(upstream.requests[0], reactor)


@pytest_twisted.ensureDeferred
async def test_cancel_before_headers_closes_the_upstream_connection(reactor, http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([], end="hang"))
    done = post(http, base, Events())
    seen = await upstream.arrived(1)
    done.cancel()
    with pytest.raises(CancelledError):
        await done
    assert await closed_by_client(seen, reactor)


@pytest_twisted.ensureDeferred
async def test_stopping_the_service_cancels_what_is_in_flight(reactor, http, upstreams):
    upstream, base = upstreams()
    upstream.reply(Reply([b"x"], end="hang"))
    chunks = Events()
    first = chunks.next(bytes)
    done = post(http, base, chunks)
    await first
    await http.stopService()
    with pytest.raises(CancelledError):
        await done
    assert await closed_by_client(upstream.requests[0], reactor)
    http.startService()  # (the fixture stops it again)


@pytest_twisted.ensureDeferred
async def test_unreachable_endpoint_is_transient(reactor, http):
    port = serve(reactor, FakeUpstream(b"text/plain"))
    base = base_url(port)
    await port.stopListening()
    with pytest.raises(ProviderError) as e:
        await post(http, base, Events())
    assert e.value.kind == "transient" and "cannot reach the model endpoint" in str(e.value)


@pytest_twisted.ensureDeferred
async def test_huge_error_body_is_not_read_to_the_end(reactor, http, upstreams):
    upstream, base = upstreams(b"text/html")
    upstream.reply(Reply([b"<html>" + b"x" * 100_000], status=502, end="hang"))
    with pytest.raises(ProviderError) as e:
        await post(http, base, Events())
    assert e.value.kind == "transient" and str(e.value).startswith("HTTP 502: <html>xxx")
    assert await closed_by_client(upstream.requests[0], reactor)


@pytest_twisted.ensureDeferred
async def test_redirect_is_not_followed(http, upstreams):
    upstream, base = upstreams(b"text/plain")
    upstream.reply(Reply([], status=307, headers={"location": "http://127.0.0.1:9/elsewhere"}))
    with pytest.raises(ProviderError) as e:
        await post(http, base, Events())
    assert (e.value.kind, e.value.status) == ("other", 307)
