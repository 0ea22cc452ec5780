"""Pure pieces: Markdown flattening and chunking, IRC lines and mentions, Telegram targets and updates, settings resolution."""

from __future__ import annotations

import os

from openclaw.channels.base import DIRECT, GROUP, ChatRef
from openclaw.channels.irc.protocol import fallback_nick
from openclaw.channels.irc.transport import mentions, privmsg_lines, strip_address
from openclaw.channels.settings import ChannelsSettings
from openclaw.channels.telegram.transport import inbound_message, parse_target
from openclaw.channels.text import chunk_text, flatten_markdown


def test_markdown_is_flattened_with_code_and_link_targets_kept():
    text = "# Title\n**bold** _it_ `a*b*c` [docs](https://x.test/a)\n```py\nx = *1*\n```"
    assert flatten_markdown(text) == "Title\nbold it a*b*c docs (https://x.test/a)\nx = *1*"


def test_chunks_respect_characters_bytes_and_word_boundaries():
    assert chunk_text("one two three four", 9) == ["one two", "three", "four"]
    pieces = chunk_text("ü" * 100, 1000, 51)
    assert all(len(p.encode()) <= 51 for p in pieces) and "".join(pieces) == "ü" * 100


def test_irc_lines_fit_512_bytes_and_carry_no_cr_or_lf():
    lines = privmsg_lines("#room", "line one\r\nline two " + "é" * 600, 350)
    assert lines[0] == "PRIVMSG #room :line one"
    assert all(len((line + "\r\n").encode()) <= 512 and "\r" not in line and "\n" not in line for line in lines)
    assert "".join(line.split(" :", 1)[1] for line in lines[1:]).replace(" ", "") == "linetwo" + "é" * 600
    assert privmsg_lines("#room", "\r\n  \n", 350) == []


def test_irc_mentions_use_rfc1459_case_folding():
    assert mentions("hey CLAW[1]: you there", "claw{1}")
    assert mentions("claw, hi", "claw") and not mentions("clawed it", "claw")
    assert strip_address("Claw: what now", "claw") == "what now"
    assert fallback_nick("claw", 1) == "claw_" and fallback_nick("claw", 3) == "claw_3"
    assert len(fallback_nick("x" * 40, 2)) == 30


def test_telegram_targets_and_updates():
    assert parse_target("-1001234567890:topic:7") == ChatRef(GROUP, "-1001234567890", "7")
    assert parse_target("tg:42") == ChatRef(DIRECT, "42") and parse_target("@channel").peerId == "@channel"
    update = {"update_id": 9, "message": {"message_id": 3, "from": {"id": 5, "first_name": "Ada", "last_name": "L"},
                                          "chat": {"id": 5, "type": "private"}, "text": "/new@claw_bot",
                                          "entities": [{"type": "bot_command", "offset": 0, "length": 13}]}}
    message = inbound_message(update, "default", {"id": 1, "username": "claw_bot"}, 0)
    assert (message.chatType, message.peerId, message.senderName, message.mentioned) == (DIRECT, "5", "Ada L", True)
    assert inbound_message({"update_id": 10, "edited_message": {}}, "default", {}, 0) is None


def test_accounts_resolve_env_files_and_inherit_root_keys(tmp_path):
    token = tmp_path / "token"
    token.write_text("777:from-file\n")
    os.chmod(token, 0o600)
    config = {"channels": {
        "irc": {"dmPolicy": "allowlist", "allowFrom": ["Ops!*@*"], "accounts": {"backup": {"host": "b.test", "nick": "b"}}},
        "telegram": {"tokenFile": str(token), "accounts": {"x": {"botToken": "888:own"}, "y": {}}},
        "slack": {"token": "s"},
    }}
    environ = {"IRC_HOST": "irc.env", "IRC_NICK": "envbot", "IRC_TLS": "false", "IRC_PASSWORD": "hunter2"}
    settings = ChannelsSettings.fromConfig(config, environ)
    irc = settings.account("irc", "default").config
    assert (irc.host, irc.port, irc.tls, irc.nick, irc.passwordSource) == ("irc.env", 6667, False, "envbot", "config")
    assert "hunter2" not in repr(irc)
    backup = settings.account("irc", "backup").config
    assert backup.policy.dmPolicy == "allowlist" and backup.password is None and backup.port == 6697
    assert settings.account("telegram", "default").config.tokenSource == "tokenFile"
    assert settings.account("telegram", "x").config.token == "888:own"
    assert settings.account("telegram", "y").config.token == "777:from-file"  # the root's tokenFile is inherited
    assert "777" not in repr(settings.account("telegram", "default"))
    assert settings.account("slack", "default").problem == "channel 'slack' is not supported by this gateway"
    unset = ChannelsSettings.fromConfig({"channels": {"irc": {"host": "h"}, "telegram": {"apiRoot": "http://x/bot1"}}})
    assert unset.account("irc", "default").problem == "missing host or nick"
    assert unset.account("telegram", "default").problem == "missing bot token"


def test_policy_problems_are_reported():
    settings = ChannelsSettings.fromConfig({"channels": {"irc": {"host": "h", "nick": "n", "dmPolicy": "allowlist",
                                                                 "groupPolicy": "sometimes"}}})
    problems = settings.account("irc", "default").config.policy.problems
    assert problems == (
        'dmPolicy "allowlist" needs at least one allowFrom entry; every DM is dropped',
        "groupPolicy must be one of allowlist, open, disabled (got 'sometimes'); using 'allowlist'",
    )
