"""
IRC against a real server (Debian's ngircd on a loopback port of the test's own)
with a real IRC client on the other side: DM pairing, a channel mention, a nick
collision, and the server killed and restarted under a connected bot.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred, ensureDeferred

from tests.channels.ircserver import CHANNEL, IrcServer, connect_user, require_ngircd
from tests.channels.support import EchoDispatcher, manager_for


@pytest.fixture
def server(reactor, tmp_path, ports):
    require_ngircd()
    running = IrcServer(reactor, str(tmp_path), ports.reserve())
    yield running
    pytest_twisted.blockon(ensureDeferred(running.stop()))


def irc_config(port: int, **extra) -> dict:
    section = {"host": "127.0.0.1", "port": port, "tls": False, "nick": "claw", "channels": [CHANNEL]}
    section.update(extra)
    return {"channels": {"irc": section}}


async def started(manager, reactor) -> object:
    """Start C{manager}; fires with the default IRC runner once it is connected."""
    runner = manager.runner("irc", "default")
    ready = Deferred()
    original = runner.connected
    runner.connected = lambda: (original(), ready.called or ready.callback(runner))
    manager.startService()
    await ready.addTimeout(20, reactor)
    return runner


@pytest_twisted.ensureDeferred
async def test_dm_pairing_then_a_reply(server, reactor, tmp_path):
    await server.start()
    dispatcher = EchoDispatcher()
    manager = manager_for(irc_config(server.port), reactor, str(tmp_path / "state"), dispatcher)
    await started(manager, reactor)
    alice = await connect_user(reactor, server.port, "alice")
    try:
        alice.msg("claw", "hello bot")
        await alice.until(lambda u: len(u.lines_from("claw")) >= 6, reactor)
        reply = alice.lines_from("claw")  # the pairing reply as plain text (fences flattened)
        code = reply[3]
        assert reply == [
            "OpenClaw: access not configured.", "Your IRC id: alice!~alice@127.0.0.1", "Pairing code:", code,
            "Ask the bot owner to approve with:", f"openclaw pairing approve irc {code}",
        ]
        assert len(code) == 8 and set(code) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        assert dispatcher.turns == []
        requests = await manager.store.pairingRequests("irc")
        assert [(r.code, r.senderId) for r in requests] == [(code, "alice!~alice@127.0.0.1")]

        approved, notification = await manager.inbound.approve("irc", "default", code, notify=False)
        assert approved.senderId == "alice!~alice@127.0.0.1" and notification == "not-requested"
        alice.msg("claw", "**now** it works")
        turn = await dispatcher.until(1, reactor)
        assert turn.sessionKey == "agent:main:main" and turn.chat.peerId == "alice"
        assert turn.body.endswith("] **now** it works")
        await alice.until(lambda u: "echo: now it works" in u.lines_from("claw"), reactor)  # Markdown flattened
        assert len([line for line in alice.lines_from("claw") if line.startswith("OpenClaw: access")]) == 1
    finally:
        alice.quit()
        await manager.stopService()


@pytest_twisted.ensureDeferred
async def test_a_channel_message_needs_a_mention(server, reactor, tmp_path):
    await server.start()
    dispatcher = EchoDispatcher(lambda turn: ["**Hi** from `the bot`", "NO_REPLY"])
    config = irc_config(server.port, groups={CHANNEL: {"requireMention": True}})
    manager = manager_for(config, reactor, str(tmp_path / "state"), dispatcher)
    bob = await connect_user(reactor, server.port, "bob")
    try:
        bob.join(CHANNEL)
        await started(manager, reactor)
        await bob.until(lambda u: ("claw", CHANNEL, "<join>") in [(n.split("!")[0], c, m) for n, c, m in u.received], reactor)
        bob.msg(CHANNEL, "just chatting")
        bob.msg(CHANNEL, "CLAW: what is up?")
        turn = await dispatcher.until(1, reactor)
        assert turn.sessionKey == f"agent:main:irc:group:{CHANNEL}"
        assert "just chatting" in turn.body and turn.body.endswith("what is up?")  # history, then the message
        await bob.until(lambda u: u.lines_from("claw", CHANNEL), reactor)
        assert bob.lines_from("claw", CHANNEL) == ["Hi from the bot"]  # flattened; NO_REPLY stays silent
        assert len(dispatcher.turns) == 1
    finally:
        bob.quit()
        await manager.stopService()


@pytest_twisted.ensureDeferred
async def test_nick_collision_falls_back(server, reactor, tmp_path):
    await server.start()
    squatter = await connect_user(reactor, server.port, "claw")
    manager = manager_for(irc_config(server.port), reactor, str(tmp_path / "state"), EchoDispatcher())
    try:
        runner = await started(manager, reactor)
        assert runner.snapshot()["nick"] == "claw_"
        status = await manager.status(reactor)
        assert status["channelAccounts"]["irc"][0]["connected"] is True
        assert status["channels"]["irc"]["nick"] == "claw_"
    finally:
        squatter.quit()
        await manager.stopService()


@pytest_twisted.ensureDeferred
async def test_server_killed_and_restarted(server, reactor, tmp_path):
    await server.start()
    manager = manager_for(irc_config(server.port), reactor, str(tmp_path / "state"), EchoDispatcher())
    runner = await started(manager, reactor)
    transitions = []
    for name in ("connected", "disconnected"):
        original = getattr(runner, name)

        def record(*args, name=name, original=original):
            original(*args)
            transitions.append((name, runner.snapshot()["healthState"], runner.snapshot()["connected"]))

        setattr(runner, name, record)
    try:
        await server.kill()
        lost = reactor.seconds()
        attempts = runner.state["reconnectAttempts"]
        await server.start()
        up = reactor.seconds()
        back = Deferred()
        runner.connected, connected = (lambda: (connected(), back.called or back.callback(None))), runner.connected
        await back.addTimeout(60, reactor)
        # back 1 s after the drop, or, when the server was not up yet, within the ladder step then due
        # (5 s × 2^(n−1) + 10 %), plus a little for connecting and registering on a busy machine
        steps = runner.state["reconnectAttempts"] - attempts
        bound = 1.0 if steps == 0 else 5 * 2 ** (steps - 1) * 1.1
        assert reactor.seconds() - max(up, lost + 1) < bound + 3
        assert transitions[0] == ("disconnected", "reconnect-grace", False)
        assert transitions[-1] == ("connected", "healthy", True)
        status = await manager.status(reactor)
        assert status["channelAccounts"]["irc"][0]["healthState"] == "healthy"
        assert status["channelAccounts"]["irc"][0]["lastConnectedAt"] >= int(lost * 1000)
    finally:
        await manager.stopService()
