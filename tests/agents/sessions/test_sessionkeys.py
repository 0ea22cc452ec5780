"""Session keys by the session settings: main, global, DM scopes, groups, identity links, kinds."""

from __future__ import annotations

import pytest

from openclaw.agents.sessionkeys import agent_of, chat_type, dm_key, group_key, main_key, scoped_key, session_kind
from openclaw.agents.settings import SessionSettings


def session(**config) -> SessionSettings:
    return SessionSettings.fromConfig({"session": config})


def test_the_main_key_is_per_agent_unless_the_scope_is_global():
    assert main_key("main", session()) == "agent:main:main"
    assert main_key("work", session(mainKey="Home")) == "agent:work:home"
    assert main_key("work", session(scope="global")) == "global"


def test_keys_without_the_agent_prefix_are_scoped_to_the_agent():
    assert scoped_key("Foo", "main") == "agent:main:foo"
    assert scoped_key("agent:Work:Main", "main") == "agent:work:main"
    assert scoped_key("global", "work") == "global"
    assert scoped_key("cron:job-1", "main") == "agent:main:cron:job-1"


def test_the_agent_of_a_key():
    assert agent_of("agent:work:main", "main") == "work"
    assert agent_of("global", "main") == "main"
    assert agent_of("agent::x", "main") == "main"


@pytest.mark.parametrize(
    "dmScope, expected",
    [
        ("main", "agent:main:main"),
        ("per-peer", "agent:main:direct:alice1"),
        ("per-channel-peer", "agent:main:telegram:direct:alice1"),
        ("per-account-channel-peer", "agent:main:telegram:biz:direct:alice1"),
    ],
)
def test_direct_messages_follow_the_dm_scope(dmScope, expected):
    assert dm_key("main", "Telegram", "Alice1", session(dmScope=dmScope), accountId="biz") == expected


def test_identity_links_fold_several_channel_identities_into_one_peer():
    linked = session(dmScope="per-peer", identityLinks={"Alice": ["telegram:123", "irc:alice_"]})
    assert dm_key("main", "telegram", "123", linked) == "agent:main:direct:alice"
    assert dm_key("main", "irc", "Alice_", linked) == "agent:main:direct:alice"
    assert dm_key("main", "irc", "bob", linked) == "agent:main:direct:bob"


def test_groups_rooms_and_threads():
    settings = session()
    assert group_key("main", "telegram", "-1001234", settings) == "agent:main:telegram:group:-1001234"
    assert group_key("zu", "telegram", "-100", settings, thread=("topic", "3")) == "agent:zu:telegram:group:-100:topic:3"
    assert group_key("main", "discord", "123", settings, kind="channel") == "agent:main:discord:channel:123"
    assert group_key("main", "discord", "123", session(groupScope="main")) == "agent:main:main"
    with pytest.raises(ValueError, match="group kind"):
        group_key("main", "irc", "#x", settings, kind="direct")


@pytest.mark.parametrize(
    "key, kind, chat",
    [
        ("agent:main:main", "direct", "direct"),
        ("agent:main:telegram:direct:1", "direct", "direct"),
        ("agent:main:telegram:group:-1", "group", "group"),
        ("agent:main:discord:channel:9:thread:2", "group", "channel"),
        ("global", "global", None),
        ("cron:job", "unknown", None),
    ],
)
def test_kinds_and_chat_types(key, kind, chat):
    assert session_kind(key) == kind and chat_type(key) == chat
