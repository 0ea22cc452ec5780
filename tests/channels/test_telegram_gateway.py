"""
Telegram through a whole gateway process and the local Bot API double: an update
committed (offset advanced) and then the gateway SIGKILLed mid-run; after the
restart the queued message is run again and answered exactly once.
"""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from tests.agents.runs.conftest import MODEL, chunk, text_reply
from tests.agents.upstream import Reply
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.channels.botapi import private
from tests.channels.botapi import api  # noqa: F401 (fixture)
from tests.cli.conftest import cli  # noqa: F401 (fixture)
from tests.e2e.conftest import launcher  # noqa: F401 (fixture)

TOKEN = "4242:GATEWAY-test-token-abcdefghijkl"


@pytest.fixture
def bot_token() -> str:
    return TOKEN


@pytest_twisted.ensureDeferred
async def test_sigkill_between_commit_and_reply_gives_one_reply_after_restart(cli, api, upstream, reactor):
    config = cli.install.read_config()
    config["models"] = {"providers": {"fakeup": {
        "baseUrl": f"{upstream.base}/v1", "api": "openai-completions", "apiKey": "sk-test-0123456789",
        "models": [{"id": "fake-model"}],
    }}}
    config["agents"] = {"defaults": {"model": MODEL}}
    config["channels"] = {"telegram": {"botToken": TOKEN, "apiRoot": api.root, "allowFrom": ["42"]}}
    cli.install.write_config(config)
    never: Deferred = Deferred()
    try:
        upstream.reply(Reply([chunk({"role": "assistant", "content": ""}), never], end="hang"))
        await cli.gateway()
        updateId = api.push(private("what is two and two?"))
        await upstream.arrived(1)  # committed, offset stored, the run under way
        await api.until(lambda a: any(p.get("offset") == updateId + 1 for m, p in a.calls if m == "getUpdates"))
        await cli.launcher.stop(cli.child, "KILL")
        assert api.sent == []

        upstream.reply(text_reply("Four"))
        api.closePolls()
        await cli.gateway()
        await api.until(lambda a: a.sent, timeout=60)
        assert "two and two" in str((await upstream.arrived(2)).body["messages"][-1]["content"])
        polls = [p for m, p in api.calls if m == "getUpdates"]
        assert polls[-1]["offset"] == updateId + 1  # the restart resumed after the committed update
        upstream.reply(text_reply("Six"))
        api.push(private("and three and three?"))
        await api.until(lambda a: len(a.sent) == 2)
        assert [s["text"] for s in api.sent] == ["Four", "Six"]  # the queued message was answered once
        assert len(upstream.requests) == 3
        status = await cli.run("channels", "status", "--json")
        account = status.json()["channelAccounts"]["telegram"][0]
        assert account["connected"] is True and account["tokenSource"] == "config"
        assert TOKEN not in status.stdout and TOKEN not in cli.install.log_text()
    finally:
        if not never.called:
            never.callback(None)
