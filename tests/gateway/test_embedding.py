"""The documented embedding: makeService() under an existing application's service tree."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.application.service import Application, IService, MultiService

from openclaw.cli.client import connect
from openclaw.gateway.service import Options, makeService
from openclaw.settings import StartupError
from tests.conftest import TOKEN, local_config, write_config


@pytest_twisted.ensureDeferred
async def test_gateway_inside_an_existing_application(reactor, environ):
    write_config(environ, local_config())
    application = Application("my-app")
    parent = IService(application)
    other = MultiService()  # the application's own services
    other.setServiceParent(parent)

    options = Options(environ)
    options.parseOptions(["--port", "0"])
    gateway = makeService(options, reactor)
    gateway.setServiceParent(parent)
    parent.privilegedStartService()
    parent.startService()
    try:
        client = await connect(reactor, f"ws://127.0.0.1:{gateway.port}", token=TOKEN)
        assert (await client.call("health"))["ok"] is True
        await client.close()
    finally:
        await parent.stopService()
    assert not gateway.running


def test_embedding_gets_exceptions_not_exits(environ):
    options = Options(environ)
    options.parseOptions(["--port", "0"])
    with pytest.raises(StartupError) as caught:
        makeService(options)
    assert caught.value.exitCode == 78
    assert caught.value.message.startswith("Missing config.")


@pytest_twisted.ensureDeferred
async def test_gateway_on_a_unix_endpoint_string(reactor, environ, tmp_path):
    from autobahn.twisted.websocket import WebSocketClientFactory
    from twisted.internet.endpoints import UNIXClientEndpoint

    from openclaw.cli.client import GatewayClient, _Protocol, connect_params

    write_config(environ, local_config())
    socketPath = tmp_path / "gateway.sock"
    options = Options(environ)
    options.parseOptions([])
    gateway = makeService(options, reactor, endpoint=f"unix:{socketPath}")
    gateway.privilegedStartService()
    gateway.startService()
    try:
        assert gateway.url == f"ws+unix://{socketPath}" and gateway.port is None
        client = GatewayClient(reactor, connect_params(token=TOKEN), None)
        factory = WebSocketClientFactory("ws://localhost/", reactor=reactor)
        factory.protocol, factory.client = _Protocol, client
        factory.setProtocolOptions(autoPingInterval=0)
        await UNIXClientEndpoint(reactor, str(socketPath)).connect(factory)
        hello = await client.ready.addTimeout(10, reactor)
        assert hello is client and client.hello["type"] == "hello-ok"
        assert (await client.call("health"))["ok"] is True
        await client.close()
    finally:
        await gateway.stopService()
    assert not socketPath.exists()


def test_a_bad_endpoint_description_is_a_clear_refusal(reactor, environ):
    write_config(environ, local_config())
    options = Options(environ)
    options.parseOptions([])
    with pytest.raises(StartupError) as caught:
        makeService(options, reactor, endpoint="carrier-pigeon:coop=1")
    assert caught.value.exitCode == 1
    assert caught.value.message.startswith("Invalid listen endpoint 'carrier-pigeon:coop=1'")
