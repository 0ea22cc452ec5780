"""
A run started from a Telegram group offers the model only the tools the group's
C{tools}/C{toolsBySender} leave (the channel layer of the tool policy).
"""

from __future__ import annotations

import pytest
import pytest_twisted

from tests.agents.runs.conftest import RetryClock, telegram_run_config, text_reply
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.channels.botapi import group
from tests.channels.botapi import api  # noqa: F401 (fixture)
from tests.conftest import serving, start_gateway


@pytest.fixture
def bot_token() -> str:
    return "8888:GROUPTOOLS-token-abcdefghijklmn"


@pytest_twisted.async_yield_fixture
async def gateway(reactor, environ, upstream, api, bot_token):
    config = telegram_run_config(upstream.base, api, bot_token, groupPolicy="open", groups={"*": {
        "requireMention": False, "tools": {"deny": ["group:runtime", "web_fetch"]},
        "toolsBySender": {"id:7": {"allow": ["read", "session_status"]}},
    }})
    service = start_gateway(reactor, environ, config, clock=RetryClock(reactor))
    async with serving(service, reactor) as running:
        yield running


def offered(request) -> set[str]:
    return {t["function"]["name"] for t in request.body.get("tools", ())}


@pytest_twisted.ensureDeferred
async def test_group_and_sender_entries_shape_the_tools_offered(gateway, upstream, api):
    upstream.reply(text_reply("one"), text_reply("two"))
    await api.until(lambda a: any(m == "getUpdates" for m, _ in a.calls))
    api.push(group("hello team", userId=42))
    first = await upstream.arrived(1)
    assert {"read", "write", "sessions_list"} <= offered(first) and not offered(first) & {"exec", "web_fetch"}
    await api.until(lambda a: [s for s in a.sent if s["text"] == "one"])
    api.push(group("hello again", userId=7, message_id=3))
    second = await upstream.arrived(2)
    assert offered(second) == {"read", "session_status"}
