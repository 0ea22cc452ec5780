"""The outbound clients' pool: connections come and go without log lines."""

import pytest_twisted
from twisted.internet import reactor
from twisted.logger import globalLogPublisher
from twisted.web.client import Agent, readBody
from twisted.web.resource import Resource
from twisted.web.server import Site

from openclaw.httppool import quiet_pool


class _Hello(Resource):
    isLeaf = True

    def render_GET(self, request):
        return b"hello"


@pytest_twisted.ensureDeferred
async def test_a_pooled_connection_opens_and_closes_without_log_lines():
    site = Site(_Hello())
    site.noisy = False
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    seen: list[str] = []

    def observe(event):
        seen.append(str(event.get("log_format", "")) + " " + repr(event.get("factory", "")))

    globalLogPublisher.addObserver(observe)
    pool = quiet_pool(reactor)
    try:
        response = await Agent(reactor, pool=pool).request(b"GET", f"http://127.0.0.1:{port.getHost().port}/".encode())
        assert await readBody(response) == b"hello"
        await pool.closeCachedConnections()
    finally:
        globalLogPublisher.removeObserver(observe)
        await port.stopListening()
    assert not [line for line in seen if "factory" in line.lower()], seen
