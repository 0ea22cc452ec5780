"""HTTP on the gateway port: the probes, their headers, methods and 404s."""

from __future__ import annotations

import json

import pytest
import pytest_twisted
import treq
from twisted.internet import reactor as reactor_
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

from tests.conftest import TOKEN, local_config


async def _get(gateway, path, method="GET", headers=None):
    response = await treq.request(method, gateway.http + path, headers=headers, persistent=False)
    body = await response.content()
    return response, body


def _header(response, name):
    return response.headers.getRawHeaders(name, [None])[0]


@pytest.mark.parametrize("path", ["/health", "/healthz"])
@pytest_twisted.ensureDeferred
async def test_liveness(gateway, path):
    response, body = await _get(gateway, path)
    assert response.code == 200 and json.loads(body) == {"ok": True, "status": "live"}
    assert _header(response, "content-type") == "application/json; charset=utf-8"
    assert _header(response, "cache-control") == "no-store"
    assert _header(response, "x-content-type-options") == "nosniff"
    assert _header(response, "referrer-policy") == "no-referrer"
    assert _header(response, "permissions-policy") == "camera=(), microphone=(self), geolocation=()"


@pytest.mark.parametrize("path", ["/ready", "/readyz"])
@pytest_twisted.ensureDeferred
async def test_readiness_details_for_local_callers(gateway, path):
    response, body = await _get(gateway, path)
    data = json.loads(body)
    assert response.code == 200 and data["ready"] is True and data["failing"] == []
    assert isinstance(data["uptimeMs"], int) and "delayP99Ms" in data["eventLoop"]


@pytest_twisted.ensureDeferred
async def test_forwarded_request_without_auth_gets_the_short_body(gateway):
    _, body = await _get(gateway, "/readyz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert json.loads(body) == {"ready": True}
    _, body = await _get(gateway, "/startupz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert json.loads(body) == {"ok": True, "status": "started"}
    _, body = await _get(
        gateway, "/startupz", headers={"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {TOKEN}"}
    )
    assert set(json.loads(body)) == {"ok", "status", "version", "uptimeMs"}


@pytest.mark.parametrize("path", ["/startup", "/startupz"])
@pytest_twisted.ensureDeferred
async def test_startup(gateway, path):
    response, body = await _get(gateway, path)
    data = json.loads(body)
    assert response.code == 200 and data["ok"] is True and data["status"] == "started"


@pytest_twisted.ensureDeferred
async def test_head_has_no_body(gateway):
    response, body = await _get(gateway, "/healthz", method="HEAD")
    assert response.code == 200 and body == b""


@pytest_twisted.ensureDeferred
async def test_other_methods_are_not_allowed(gateway):
    response, body = await _get(gateway, "/healthz", method="POST")
    assert response.code == 405 and _header(response, "allow") == "GET, HEAD"


@pytest.mark.parametrize("gateway_config", [local_config(controlUi={"enabled": False})])
@pytest.mark.parametrize("path", ["/healthz/extra", "/", "/nonexistent"])  # (a disabled /v1/models names its key: tests/http)
@pytest_twisted.ensureDeferred
async def test_everything_else_is_not_found_without_the_control_ui(gateway, path):
    response, body = await _get(gateway, path)
    assert response.code == 404 and body == b"Not Found"
    assert _header(response, "content-type") == "text/plain; charset=utf-8"


@pytest_twisted.ensureDeferred
async def test_other_upgrade_is_a_bad_request(gateway):
    response, body = await _get(gateway, "/", headers={"Upgrade": "h2c", "Connection": "Upgrade"})
    assert response.code == 400 and body == b"Bad Request"


@pytest.mark.parametrize("path", ["/", "/ws", "/foo/bar", "/healthz", "/?token=x"])
@pytest_twisted.ensureDeferred
async def test_websocket_upgrade_on_any_path(gateway, path):
    from openclaw.cli.client import connect

    client = await connect(gateway.reactor, gateway.url + path, token=TOKEN)
    gateway.clients.append(client)
    assert client.hello["type"] == "hello-ok"


@pytest_twisted.ensureDeferred
async def test_loopback_bind_also_listens_on_ipv6_when_available(gateway):
    from openclaw.bindhost import ipv6_available

    if not ipv6_available():
        pytest.skip("this machine cannot bind ::1")
    from openclaw.cli.client import connect

    client = await connect(gateway.reactor, f"ws://[::1]:{gateway.service.port}", token=TOKEN)
    gateway.clients.append(client)
    assert client.hello["type"] == "hello-ok"


class _Raw(Protocol):
    """A plain TCP client that collects what the gateway sends."""

    def __init__(self):
        self.data = b""
        self.waiting = None

    def dataReceived(self, data):
        self.data += data
        if self.waiting is not None and self.waiting[0] in self.data:
            marker, d = self.waiting
            self.waiting = None
            d.callback(self.data)

    def until(self, marker: bytes):
        d = Deferred()
        if marker in self.data:
            d.callback(self.data)
        else:
            self.waiting = (marker, d)
        return d.addTimeout(5, reactor_)


_UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


@pytest_twisted.ensureDeferred
async def test_upgrade_after_plain_http_on_a_kept_alive_connection(gateway):
    """The first request decides where a connection goes; a later upgrade still works."""
    endpoint = TCP4ClientEndpoint(gateway.reactor, "127.0.0.1", gateway.service.port)
    raw = await connectProtocol(endpoint, _Raw())
    raw.transport.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await raw.until(b'"status":"live"}')
    raw.transport.write(_UPGRADE)
    data = await raw.until(b"connect.challenge")
    assert b"HTTP/1.1 101 Switching Protocols" in data
    raw.transport.loseConnection()


@pytest_twisted.ensureDeferred
async def test_split_upgrade_request_is_reassembled(gateway):
    endpoint = TCP4ClientEndpoint(gateway.reactor, "127.0.0.1", gateway.service.port)
    raw = await connectProtocol(endpoint, _Raw())
    for i in range(0, len(_UPGRADE), 7):
        raw.transport.write(_UPGRADE[i : i + 7])
    data = await raw.until(b"connect.challenge")
    assert data.startswith(b"HTTP/1.1 101 Switching Protocols")
    raw.transport.loseConnection()
