"""channels.status: the empty, well-formed answer of a gateway without channels, and the
manager's merging of channel records (timeouts and failures become warnings)."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.application.service import Service
from twisted.internet.defer import Deferred, fail
from twisted.internet.task import Clock
from zope.interface import implementer

from openclaw.channels.base import IChannel
from openclaw.channels.channel import Channel
from openclaw.channels.runner import AccountRunner
from openclaw.channels.settings import AccountSettings
from openclaw.channels.manager import ChannelManager, status_timeout_ms
from openclaw.cli.client import GatewayCallError

EMPTY_KEYS = [
    "ts", "channelOrder", "channelLabels", "channelDetailLabels", "channelSystemImages", "channelMeta",
    "eventLoop", "channels", "channelAccounts", "channelDefaultAccountId",
]


@pytest_twisted.ensureDeferred
async def test_no_channels_configured_is_an_empty_result(gateway):
    client = await gateway.connect()
    for params in ({}, {"probe": False, "timeoutMs": 58942}, {"probe": True, "timeoutMs": 59012}, {"channel": "irc"}):
        result = await client.call("channels.status", params)
        assert list(result) == EMPTY_KEYS  # the reference gateway's keys, in its order
        assert result["channelOrder"] == [] and result["channels"] == {} and result["channelMeta"] == []
        assert isinstance(result["eventLoop"]["intervalMs"], int)
        assert "partial" not in result


@pytest_twisted.ensureDeferred
async def test_params_are_validated(gateway):
    client = await gateway.connect()
    with pytest.raises(GatewayCallError) as caught:
        await client.call("channels.status", {"bogus": 1})
    assert caught.value.message == "invalid channels.status params: at root: unexpected property 'bogus'"


@pytest_twisted.ensureDeferred
async def test_needs_read_scope(gateway):
    client = await gateway.connect(scopes=())
    with pytest.raises(GatewayCallError) as caught:
        await client.call("channels.status")
    assert caught.value.message == "missing scope: operator.read"


@implementer(IChannel)
class _Channel(Service):
    """A channel whose status answer the test controls."""

    def __init__(self, channelId, answer):
        self.channelId = channelId
        self.label = channelId.upper()
        self.detailLabel = f"{self.label} account"
        self.answer = answer
        self.probed = []

    def health(self):
        return {}

    def summary(self):
        return ""

    def status(self, probe):
        self.probed.append(probe)
        return self.answer


def _record(accountId="default"):
    return {
        "summary": {"configured": True, "running": True},
        "accounts": [{"accountId": accountId, "running": True, "connected": True}],
        "defaultAccountId": accountId,
    }


def test_manager_merges_channels_and_reports_slow_and_failing_ones():
    clock = Clock()
    manager = ChannelManager()
    ok = _Channel("irc", _record())
    slow = _Channel("telegram", Deferred())
    broken = _Channel("slack", fail(RuntimeError("boom")))
    for channel in (ok, slow, broken):
        channel.setServiceParent(manager)
    d = manager.status(clock, probe=True, timeoutMs=2000)
    assert not d.called
    clock.advance(2)
    result = d.result
    assert ok.probed == [True]
    assert result["channelOrder"] == ["irc"]
    assert result["channelMeta"] == [{"id": "irc", "label": "IRC", "detailLabel": "IRC account"}]
    assert result["channelAccounts"]["irc"][0]["accountId"] == "default"
    assert result["channelDefaultAccountId"] == {"irc": "default"}
    assert result["partial"] is True
    assert result["warnings"] == ["slack summary failed: boom", "telegram summary timed out after 2000ms"]


def test_manager_filters_one_channel():
    manager = ChannelManager()
    _Channel("irc", _record()).setServiceParent(manager)
    _Channel("telegram", _record("bot")).setServiceParent(manager)
    result = manager.status(Clock(), channel="telegram").result
    assert result["channelOrder"] == ["telegram"] and result["channelDefaultAccountId"] == {"telegram": "bot"}


def test_hook_timeout_defaults_and_bounds():
    assert status_timeout_ms(False, None) == 10000
    assert status_timeout_ms(True, None) == 30000
    assert status_timeout_ms(True, 59012) == 30000
    assert status_timeout_ms(False, 0) == 1000


@pytest_twisted.ensureDeferred
async def test_start_and_stop_one_channel(gateway):
    admin = await gateway.connect(scopes=("operator.admin",))
    skipped = await admin.call("channels.start", {"channel": "irc"})
    assert skipped == {"channel": "irc", "accountId": "default", "started": False,
                       "outcome": {"status": "skipped", "reason": "channel not configured"}}

    irc = Channel("irc", "default", Clock())
    account = AccountRunner(AccountSettings("irc", "default", True), None, Clock(), None)
    account.setServiceParent(irc)
    irc.setServiceParent(gateway.service.channels)  # the manager runs: so does the channel
    assert await admin.call("channels.stop", {"channel": "irc"}) == {"channel": "irc", "accountId": "default", "stopped": True}
    assert not account.running
    started = await admin.call("channels.start", {"channel": "irc"})
    assert started["started"] is True and started["outcome"] == {"status": "handed-off"}
    assert account.running
    again = await admin.call("channels.start", {"channel": "irc"})
    assert again["outcome"] == {"status": "skipped", "reason": "already running"}


@pytest_twisted.ensureDeferred
async def test_start_needs_admin(gateway):
    reader = await gateway.connect(scopes=("operator.read",))
    with pytest.raises(GatewayCallError) as caught:
        await reader.call("channels.start", {"channel": "irc"})
    assert caught.value.message == "missing scope: operator.admin"
