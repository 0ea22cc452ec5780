"""The documented embedding: makeService() under an existing application's service tree."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.application.service import Application, IService, MultiService

from openclaw.cli.client import connect
from openclaw.gateway.service import Options, makeService
from openclaw.gateway.settings import StartupError
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
