"""
JSON request bodies through a real site: the per-route reader (size, nesting, not
JSON) on a test-only surface, and the site's cut-off for bodies larger than every
surface accepts (announced or chunked), answered before the body is read. Also the
site's plain 500 for a surface that fails.
"""

from __future__ import annotations

import json

import orjson
import pytest
import pytest_twisted
import treq
from klein import Klein
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol, serverFromString
from twisted.internet.protocol import Protocol
from twisted.logger import capturedLogs

from openclaw.gateway.http.body import INLINE_BYTES, KIB, BodyError, read_json
from openclaw.gateway.http.responses import json_response, method_not_allowed
from openclaw.gateway.http.routing import SurfaceRouter
from openclaw.gateway.site import GatewaySite

ROUTE_LIMIT = 100 * KIB
DEPTH = 8


class Echo:
    """A surface that answers with the JSON body it read."""

    app = Klein()
    maxBodyBytes = 200 * KIB  # the site's cut-off; the route itself reads at most ROUTE_LIMIT

    def __init__(self, reactor) -> None:
        self._reactor = reactor

    @app.route("/echo", methods=None)
    async def echo(self, request):
        if request.method != b"POST":
            return method_not_allowed(request, b"POST")
        try:
            body = await read_json(request, ROUTE_LIMIT, reactor=self._reactor, maxDepth=DEPTH)
        except BodyError as e:
            return e.answer(request)
        return json_response(request, 200, {"got": body})

    @app.route("/boom", methods=None)
    def boom(self, request):
        raise RuntimeError("kaboom")


@pytest_twisted.async_yield_fixture
async def site(reactor):
    router = SurfaceRouter([Echo(reactor)])
    port = await serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(
        GatewaySite(router, router.maxBodyBytes, reactor=reactor)
    )
    yield port.getHost().port
    await port.stopListening()


async def post(port: int, body: bytes, method: str = "POST"):
    response = await treq.request(method, f"http://127.0.0.1:{port}/echo", data=body, persistent=False)
    return response, await response.content()


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        (b'{"a": [1, {"b": null}]}', {"a": [1, {"b": None}]}),
        (b"", {}),
        (b"  \n", {}),
        (orjson.dumps({"text": "x" * (INLINE_BYTES + 10)}), {"text": "x" * (INLINE_BYTES + 10)}),  # parsed in a thread
    ],
)
@pytest_twisted.ensureDeferred
async def test_json_is_read(site, body, parsed):
    response, content = await post(site, body)
    assert response.code == 200 and json.loads(content) == {"got": parsed}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "Invalid JSON body"),
        (b'{"a": 1} trailing', 400, "Invalid JSON body"),
        (b"[" * (DEPTH + 1) + b"]" * (DEPTH + 1), 400, f"JSON body nested too deeply (max {DEPTH} levels)"),
        (orjson.dumps("x" * ROUTE_LIMIT), 413, "Payload too large"),  # over the route's limit, under the site's
    ],
)
@pytest_twisted.ensureDeferred
async def test_bad_bodies(site, body, status, message):
    response, content = await post(site, body)
    assert response.code == status
    assert response.headers.getRawHeaders("content-type") == ["application/json; charset=utf-8"]
    assert json.loads(content) == {"error": {"message": message, "type": "invalid_request_error"}}


@pytest_twisted.ensureDeferred
async def test_the_route_still_answers_its_own_method_and_paths(site):
    response, _ = await post(site, b"{}", method="PUT")
    assert response.code == 405 and response.headers.getRawHeaders("allow") == ["POST"]
    response = await treq.post(f"http://127.0.0.1:{site}/other", data=b"{}", persistent=False)
    assert response.code == 404 and await response.content() == b"Not Found"


@pytest_twisted.ensureDeferred
async def test_a_failing_surface_is_a_plain_500(site):
    with capturedLogs() as events:
        response = await treq.get(f"http://127.0.0.1:{site}/boom?token=secret", persistent=False)
        content = await response.content()
    assert (response.code, content) == (500, b"Internal Server Error")
    assert response.headers.getRawHeaders("content-type") == ["text/plain; charset=utf-8"]
    assert response.headers.getRawHeaders("cache-control") == ["no-store"]
    [failed] = [e for e in events if "log_failure" in e]
    assert failed["path"] == "/boom" and failed["log_failure"].check(RuntimeError)
    assert "secret" not in repr({k: v for k, v in failed.items() if k != "log_failure"})


class Raw(Protocol):
    def __init__(self) -> None:
        self.data = b""
        self.closed: Deferred = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason) -> None:
        self.closed.callback(self.data)


def _assert_cut_off(data: bytes) -> None:
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 Payload Too Large\r\n")
    assert b"\r\nConnection: close" in head and b"\r\nX-Content-Type-Options: nosniff" in head
    assert json.loads(body) == {"error": {"message": "Payload too large", "type": "invalid_request_error"}}


@pytest_twisted.ensureDeferred
async def test_an_announced_oversized_body_is_refused_before_it_is_sent(site, reactor):
    raw = await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", site), Raw())
    raw.transport.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\nExpect: 100-continue\r\n\r\n"
    )
    _assert_cut_off(await raw.closed.addTimeout(10, reactor))  # nothing of the body was sent


@pytest_twisted.ensureDeferred
async def test_a_chunked_body_is_cut_off_once_it_outgrows_the_site(site, reactor):
    raw = await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", site), Raw())
    raw.transport.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (32 * KIB, b" " * (32 * KIB))
    for _ in range(8):  # 256 KiB, more than the site's 200 KiB
        raw.transport.write(chunk)
    _assert_cut_off(await raw.closed.addTimeout(10, reactor))
