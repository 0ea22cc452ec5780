"""Several gateway processes on one host: the port as the single-instance lock, --force, isolation."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Protocol

from openclaw.cli.client import ConnectRejected
from tests.e2e.processes import PYTHON

# A process that is not a gateway: listens on a loopback port, prints it, waits for stdin EOF.
UNRELATED = (
    "import socket, sys\n"
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
    "print('port', s.getsockname()[1], flush=True)\n"
    "sys.stdin.read()\n"
)


@pytest_twisted.ensureDeferred
async def test_second_instance_refused_then_force_takes_over(launcher, reactor):
    # Something unrelated on another port must survive --force.
    other = launcher.install("other")
    bystander = launcher.spawn([PYTHON, "-c", UNRELATED], other.env, other.root, name="bystander", keepStdin=True)
    otherPort = int((await bystander.line(r"^port (\d+)$", "stdout")).group(1))

    a = launcher.install("a")
    a.local()
    gatewayA = launcher.openclaw(a, "gateway", "--port", "0", name="A")
    port = await launcher.listening(gatewayA)
    with open(f"/proc/{gatewayA.pid}/cmdline", "rb") as f:
        commandA = f.read().replace(b"\0", b" ").decode().strip()
    clientA = await launcher.connect(port)
    bootA = clientA.hello["server"]["bootId"]

    # B on the same port: lock error, exit 1, A unaffected.
    b = launcher.install("b")
    b.local()
    gatewayB = launcher.openclaw(b, "gateway", "--port", str(port), name="B")
    assert await gatewayB.exited() == 1, gatewayB.describe()
    assert gatewayB.stderr.startswith(
        f"Gateway failed to start: another gateway instance is already listening on ws://127.0.0.1:{port}\n"
        "If the gateway is supervised, stop it with: openclaw gateway stop\n"
    ), gatewayB.describe()
    assert "EADDRINUSE" in gatewayB.stderr
    assert f"Port {port} is held by pid {gatewayA.pid}:" in gatewayB.stderr
    assert not gatewayA.ended
    again = await launcher.connect(port)
    assert again.hello["server"]["bootId"] == bootA
    assert (await again.call("health"))["ok"] is True
    await again.close()

    # C with --force: A gets SIGTERM (graceful, exit 0), C serves on the same port.
    c = launcher.install("c")
    c.local()
    gatewayC = launcher.openclaw(c, "gateway", "--port", str(port), "--force", name="C")
    assert await gatewayA.exited() == 0, gatewayA.describe()
    assert "received SIGTERM; shutting down" in gatewayA.stdout
    assert (await clientA.closed)[0] == 1012
    assert await launcher.listening(gatewayC) == port
    assert any(
        line.endswith(f"force: killed pid {gatewayA.pid} ({commandA}) on port {port}")
        for line in gatewayC.lines[1]
    ), gatewayC.describe()
    clientC = await launcher.connect(port)
    assert clientC.hello["server"]["bootId"] != bootA
    assert (await clientC.call("health"))["ok"] is True

    # The bystander still runs and still accepts connections.
    assert not bystander.ended
    probe = await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", otherPort), Protocol())
    probe.transport.loseConnection()
    bystander.closeStdin()
    assert await bystander.exited() == 0

    assert await launcher.stop(gatewayC) == 0, gatewayC.describe()


@pytest_twisted.ensureDeferred
async def test_two_isolated_gateways_side_by_side(launcher):
    tokens = {"one": "token-one-" + "1" * 32, "two": "token-two-" + "2" * 32}
    running = {}
    for name, token in tokens.items():
        gw = launcher.install(name)
        gw.local(token=token)
        child = launcher.openclaw(gw, "gateway", "--port", "0", name=name)
        running[name] = (gw, child)
    ports = {name: await launcher.listening(child) for name, (_, child) in running.items()}
    assert ports["one"] != ports["two"]

    for name, other in (("one", "two"), ("two", "one")):
        client = await launcher.connect(ports[name], token=tokens[name], scopes=["operator.admin"])
        assert client.hello["snapshot"]["configPath"] == str(running[name][0].configPath)
        assert (await client.call("health"))["ok"] is True
        with pytest.raises(ConnectRejected) as caught:
            await launcher.connect(ports[name], token=tokens[other])
        assert caught.value.message == (
            "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)"
        )
        assert caught.value.details["code"] == "AUTH_TOKEN_MISMATCH"
        assert caught.value.closeCode == 1008

    for name, (gw, child) in running.items():
        assert await launcher.stop(child) == 0, child.describe()
        other = "two" if name == "one" else "one"
        text = gw.log_text()
        assert f"listening on ws://127.0.0.1:{ports[name]} " in text
        assert f"127.0.0.1:{ports[other]}" not in text
