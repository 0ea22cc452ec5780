"""
IRC through whole gateway processes: Debian's ngircd, a real IRC client, the
`openclaw gateway` process with a scripted model upstream, and the `openclaw`
CLI. DM pairing approved with `openclaw pairing approve`, then the agent's reply;
a gateway SIGKILLed mid-run answers the queued message once after its restart.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred, ensureDeferred

from tests.agents.runs.conftest import MODEL, chunk, text_reply
from tests.agents.upstream import Reply
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.channels.ircserver import CHANNEL, IrcServer, connect_user, require_ngircd
from tests.cli.conftest import cli  # noqa: F401 (fixture)
from tests.e2e.conftest import launcher  # noqa: F401 (fixture)


@pytest.fixture
def server(reactor, tmp_path, ports):
    require_ngircd()
    running = IrcServer(reactor, str(tmp_path), ports.reserve())
    yield running
    pytest_twisted.blockon(ensureDeferred(running.stop()))


def configure(cli, server, upstream, **irc) -> None:
    config = cli.install.read_config()
    config["models"] = {"providers": {"fakeup": {
        "baseUrl": f"{upstream.base}/v1", "api": "openai-completions", "apiKey": "sk-test-0123456789",
        "models": [{"id": "fake-model"}],
    }}}
    config["agents"] = {"defaults": {"model": MODEL}}
    config["channels"] = {"irc": {"host": "127.0.0.1", "port": server.port, "tls": False, "nick": "claw",
                                  "channels": [CHANNEL], **irc}}
    cli.install.write_config(config)


async def bot_joined(user, reactor) -> None:
    """Waits until a C{claw} joins the channel the test user sits in."""
    await user.until(lambda u: any(n.startswith("claw") and m == "<join>" for n, _, m in u.received), reactor, 60)


def from_bot(user) -> list[str]:
    return [m for n, t, m in user.received if n.startswith("claw") and m != "<join>"]


@pytest_twisted.ensureDeferred
async def test_dm_pairing_approved_from_the_cli_then_the_agent_replies(cli, server, upstream, reactor):
    await server.start()
    configure(cli, server, upstream)
    alice = await connect_user(reactor, server.port, "alice")
    try:
        alice.join(CHANNEL)
        await cli.gateway()
        await bot_joined(alice, reactor)
        alice.msg("claw", "hello?")
        await alice.until(lambda u: len(from_bot(u)) >= 6, reactor)
        code = from_bot(alice)[3]
        assert from_bot(alice)[5] == f"openclaw pairing approve irc {code}"

        listed = await cli.run("pairing", "list", "irc", "--json")
        assert listed.code == 0, listed
        assert [(r["requestId"], r["senderId"]) for r in listed.json()["requests"]] == [(code, "alice!~alice@127.0.0.1")]
        approved = await cli.run("pairing", "approve", "irc", code)
        assert (approved.code, approved.lines) == (0, ["Approved irc sender alice!~alice@127.0.0.1."]), approved

        upstream.reply(text_reply("Hello", " Alice"))
        alice.msg("claw", "hello again")
        await alice.until(lambda u: "Hello Alice" in from_bot(u), reactor)
        prompt = (await upstream.arrived(1)).body["messages"][-1]["content"]
        assert "hello again" in str(prompt)

        sent = await cli.run("message", "send", "--channel", "irc", "--target", "alice", "--message", "**ping**")
        assert sent.code == 0, sent
        await alice.until(lambda u: "ping" in from_bot(u), reactor)
    finally:
        alice.quit()


@pytest_twisted.ensureDeferred
async def test_a_message_queued_before_sigkill_is_answered_once_after_restart(cli, server, upstream, reactor):
    await server.start()
    configure(cli, server, upstream, dmPolicy="open", allowFrom=["*"])
    alice = await connect_user(reactor, server.port, "alice")
    never: Deferred = Deferred()
    try:
        alice.join(CHANNEL)
        await cli.gateway()
        await bot_joined(alice, reactor)
        upstream.reply(Reply([chunk({"role": "assistant", "content": ""}), never], end="hang"))
        alice.msg("claw", "answer me")
        await upstream.arrived(1)  # the run is under way: the message was committed before it started
        await cli.launcher.stop(cli.child, "KILL")
        alice.received.clear()

        upstream.reply(text_reply("Recovered", " answer"), text_reply("Second"))
        await cli.gateway()
        await alice.until(lambda u: "Recovered answer" in from_bot(u), reactor, 60)
        assert "answer me" in str((await upstream.arrived(2)).body["messages"][-1]["content"])
        alice.msg(next(n for n, _, m in alice.received if m == "<join>"), "and now?")
        await alice.until(lambda u: "Second" in from_bot(u), reactor)
        assert from_bot(alice) == ["Recovered answer", "Second"]  # the queued message was answered once
        assert len(upstream.requests) == 3
    finally:
        if not never.called:
            never.callback(None)
        alice.quit()
