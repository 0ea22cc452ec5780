"""
The inbound path every channel shares, with a recording transport and dispatcher,
the real channel store (SQLite in the test's directory) and a hand-driven Clock:
self-filter, dedupe, DM policies and pairing codes, group allowlists and mention
gating, commands, debounce, routing and session keys, NO_REPLY, replay.
"""

from __future__ import annotations

import pytest_twisted
from twisted.internet.task import Clock
from zope.interface import implementer

from openclaw.agents.settings import AgentsSettings, SessionSettings
from openclaw.channels.base import DIRECT, GROUP, ChatRef, InboundMessage, ITransport
from openclaw.channels.inbound import InboundPath, command_of, pairing_reply
from openclaw.channels.runner import AccountRunner
from openclaw.channels.settings import ChannelsSettings
from openclaw.channels.store import CODE_ALPHABET, ChannelStore
from tests.channels.support import EchoDispatcher


@implementer(ITransport)
class Recorder:
    def __init__(self):
        self.sent: list[tuple[ChatRef, str]] = []

    def isSelf(self, message):
        return message.senderId == "bot"

    def send(self, chat, text, replyTo):
        self.sent.append((chat, text))

    def typing(self, chat):
        pass

    def describe(self):
        return {}


class Path:
    def __init__(self, tmp_path, config: dict, answer=None, channel: str = "irc"):
        self.clock = Clock()
        self.clock.advance(1_800_000_000)
        self.settings = ChannelsSettings.fromConfig(
            config, {}, None, SessionSettings.fromConfig(config), AgentsSettings.fromConfig(config)
        )
        self.store = ChannelStore(str(tmp_path), self.clock)
        self.store.startService()
        self.dispatcher = EchoDispatcher(answer)
        self.transport = Recorder()
        self.runner = AccountRunner(self.settings.account(channel, "default"), self.transport, self.clock, None)
        self.path = InboundPath(self.settings, self.clock, self.store, self.dispatcher, lambda c, a: self.runner)
        self.seq = 0

    async def say(self, text: str, sender: str = "alice", chat: str = DIRECT, peer: str | None = None, **extra):
        self.seq += 1
        message = InboundMessage(
            channel=self.runner.channelId, accountId="default", chatType=chat,
            peerId=peer or (sender if chat == DIRECT else "#room"), senderId=sender, senderName=sender, text=text,
            messageId=extra.pop("messageId", f"m{self.seq}"), senderIds=(sender,), idLine=f"Your id: {sender}", **extra,
        )
        await self.path.receiveBatch(self.runner, [message], None)
        if self.path.handled is not None:
            await self.path.handled

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.transport.sent]


@pytest_twisted.async_yield_fixture
async def make(tmp_path):
    made = []

    def build(config, **kwargs):
        made.append(Path(tmp_path / str(len(made)), config, **kwargs))
        return made[-1]

    yield build
    for path in made:
        await path.store.stopService()


def irc(**section) -> dict:
    return {"channels": {"irc": {"host": "irc.test", "nick": "claw", **section}}}


@pytest_twisted.ensureDeferred
async def test_own_messages_and_redeliveries_are_dropped(make):
    p = make(irc(dmPolicy="open", allowFrom=["*"]))
    await p.say("from myself", sender="bot")
    await p.say("hello", messageId="same")
    await p.say("hello", messageId="same")
    assert [t.body.rsplit("] ", 1)[1] for t in p.dispatcher.turns] == ["hello"]
    assert p.texts == ["echo: hello"]


@pytest_twisted.ensureDeferred
async def test_pairing_codes(make):
    p = make(irc())
    await p.say("hi")
    [reply] = p.texts
    code = reply.split("```\n")[1].split("\n")[0]
    assert reply == pairing_reply("irc", "Your id: alice", code)
    assert len(code) == 8 and set(code) <= set(CODE_ALPHABET)
    await p.say("hi again")  # the open request is not answered twice
    for sender in ("bob", "carol", "dave"):
        await p.say("hi", sender=sender)
    assert len(p.texts) == 3  # alice, bob, carol: three pending per account; dave is ignored
    assert p.dispatcher.turns == []
    p.clock.advance(3600)
    await p.say("hi", sender="dave")
    assert len(p.texts) == 4  # the old requests expired
    approved, _ = await p.path.approve("irc", "default", p.texts[-1].split("```\n")[1].split("\n")[0], False)
    assert approved.senderId == "dave"
    await p.say("now?", sender="dave")
    assert p.texts[-1] == "echo: now?"


@pytest_twisted.ensureDeferred
async def test_allowlist_and_disabled_dms_are_dropped_silently(make):
    listed = make(irc(dmPolicy="allowlist", allowFrom=["IRC:Alice"]))
    await listed.say("hi", sender="bob")
    await listed.say("hi")
    assert listed.texts == ["echo: hi"]
    off = make(irc(dmPolicy="disabled", allowFrom=["alice"]))
    await off.say("hi")
    assert off.texts == [] and off.dispatcher.turns == []


@pytest_twisted.ensureDeferred
async def test_group_allowlist_sender_allowlist_and_mentions(make):
    p = make({**irc(groups={"#room": {"requireMention": True}}, groupAllowFrom=["alice", "bob"]),
              "messages": {"groupChat": {"mentionPatterns": [r"\bhey claw\b"]}}})
    await p.say("in another room", chat=GROUP, peer="#other", mentioned=True)
    await p.say("not allowed", chat=GROUP, sender="mallory", mentioned=True)
    await p.say("chatter", chat=GROUP)
    await p.say("Hey Claw, help", chat=GROUP, sender="bob")
    [turn] = p.dispatcher.turns
    assert turn.sessionKey == "agent:main:irc:group:#room" and turn.chat == ChatRef(GROUP, "#room")
    assert "alice: chatter" in turn.body and "in another room" not in turn.body
    assert p.texts == ["echo: Hey Claw, help"]
    opened = make(irc(groupPolicy="open"))
    await opened.say("anyone", chat=GROUP, peer="#any", mentioned=True)
    assert len(opened.dispatcher.turns) == 1


@pytest_twisted.ensureDeferred
async def test_commands_need_an_authorised_sender(make):
    p = make(irc(allowFrom=["alice"], groupPolicy="open"))
    await p.say("/new")
    await p.say("/reset", chat=GROUP, sender="mallory")
    await p.say("/status@claw_bot", chat=GROUP)
    assert [(t.command, t.senderId) for t in p.dispatcher.turns] == [("/new", "alice"), ("/status", "alice")]
    assert command_of("/stopping") is None and command_of("hello /new") is None


@pytest_twisted.ensureDeferred
async def test_rapid_messages_are_merged_after_the_quiet_window(make):
    p = make({"channels": {"telegram": {"botToken": "1:x", "allowFrom": ["alice"]}}}, channel="telegram")
    await p.say("first")
    await p.say("second")
    assert p.dispatcher.turns == []
    p.clock.advance(0.3)
    await p.path.handled
    [turn] = p.dispatcher.turns
    assert turn.body.endswith("first\nsecond") and turn.messageIds == ("m1", "m2")


@pytest_twisted.ensureDeferred
async def test_bindings_pick_the_agent_and_dm_scope_the_session(make):
    config = {
        **irc(dmPolicy="open", allowFrom=["*"], groupPolicy="open"),
        "agents": {"entries": {"main": {}, "ops": {}}},
        "session": {"dmScope": "per-channel-peer"},
        "bindings": [{"agentId": "ops", "match": {"channel": "irc", "peer": {"kind": "direct", "id": "alice"}}}],
    }
    p = make(config)
    await p.say("route me")
    await p.say("nobody binds me", sender="bob")
    await p.say("nor this room", chat=GROUP, mentioned=True)
    assert [(t.agentId, t.sessionKey) for t in p.dispatcher.turns] == [("ops", "agent:ops:irc:direct:alice")]


@pytest_twisted.ensureDeferred
async def test_no_reply_is_silent_and_replay_runs_a_queued_message_once(make):
    p = make(irc(dmPolicy="open", allowFrom=["*"]), answer=lambda turn: ["NO_REPLY"])
    await p.say("quiet please")
    assert len(p.dispatcher.turns) == 1 and p.texts == []
    queued = InboundMessage("irc", "default", DIRECT, "alice", "alice", "alice", "left over", "crashed", ("alice",))
    await p.store.commit([queued])  # committed by a gateway that died before running it
    await p.path.replay("irc", "default")
    await p.path.handled
    await p.path.replay("irc", "default")
    assert [t.messageIds for t in p.dispatcher.turns] == [("m1",), ("crashed",)]
    assert await p.store.pendingInbound() == []


@pytest_twisted.ensureDeferred
async def test_typing_is_renewed_while_the_run_lasts(make):
    from twisted.internet.defer import Deferred, ensureDeferred

    p = make(irc(dmPolicy="open", allowFrom=["*"]))
    answer, started = Deferred(), Deferred()
    p.dispatcher.dispatch = lambda turn: (started.callback(turn), answer)[1]
    typed = []
    p.transport.typing = lambda chat: typed.append(chat)
    said = ensureDeferred(p.say("slow one"))
    await started
    assert typed == [ChatRef(DIRECT, "alice")]
    p.clock.advance(4)
    p.clock.advance(4)
    assert len(typed) == 3
    answer.callback(["done"])
    await said
    p.clock.advance(8)
    assert len(typed) == 3 and p.texts == ["done"]
