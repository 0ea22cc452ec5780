"""C{openclaw channels status} as a process: live from a running gateway, config-only without one."""

from __future__ import annotations


import pytest_twisted

from openclaw.channels.accounts import ConfiguredAccount, configured_accounts
from openclaw.cli.channels import account_line, render

EMPTY = ["Gateway reachable.", "- no configured chat channels"]


@pytest_twisted.ensureDeferred
async def test_status_from_a_running_gateway(cli):
    await cli.gateway()
    result = await cli.run("channels", "status")
    assert (result.code, result.lines) == (0, EMPTY), result
    probe = await cli.run("channels", "status", "--probe", "--channel", "irc")
    assert (probe.code, probe.lines) == (0, EMPTY), probe
    document = (await cli.run("channels", "status", "--json")).json()
    assert document["channelOrder"] == [] and document["channelAccounts"] == {}
    assert set(document) >= {"ts", "channelLabels", "channelMeta", "eventLoop", "channelDefaultAccountId"}


@pytest_twisted.ensureDeferred
async def test_unreachable_gateway_gives_the_config_only_summary(cli):
    config = cli.install.read_config()
    config["channels"] = {"irc": {"host": "irc.example", "nick": "claw", "accounts": {"backup": {"enabled": False}}}}
    cli.install.write_config(config)
    result = await cli.run("channels", "status")
    assert result.code == 0, result
    assert f"gateway connect failed: connect ECONNREFUSED 127.0.0.1:{cli.port}" in result.stderr
    assert result.lines == [
        "Gateway not reachable; showing config-only status.",
        f"Config: {cli.install.configPath}",
        "Mode: local",
        "",
        "- irc default: enabled (config only, no live state)",
        "- irc backup: disabled (config only, no live state)",
    ]
    summary = (await cli.run("channels", "status", "--json", "--channel", "telegram")).json()
    assert summary["gatewayReachable"] is False and summary["accounts"] == []


@pytest_twisted.ensureDeferred
async def test_rejected_credentials_are_an_error(cli):
    await cli.gateway()
    result = await cli.run("channels", "status", "--url", f"ws://127.0.0.1:{cli.port}", "--token", "nope-0123456789")
    assert result.code == 1 and "unauthorized: gateway token mismatch" in result.stderr
    unknown = await cli.run("channels", "list")
    assert unknown.code == 1 and "unknown command 'channels list'" in unknown.stderr


def test_account_lines():
    result = {
        "channelOrder": ["irc"],
        "channelLabels": {"irc": "IRC"},
        "channelAccounts": {"irc": [
            {"accountId": "default", "enabled": True, "configured": True, "running": True, "connected": True,
             "probe": {"ok": True}, "audit": {"ok": False}},
            {"accountId": "b", "enabled": True, "configured": False, "running": False,
             "probe": {"ok": False, "error": "missing host or nick"}, "lastError": "missing host or nick"},
        ]},
        "warnings": ["telegram summary timed out after 10000ms"],
    }
    assert render(result) == [
        "Gateway reachable.",
        "- IRC default: enabled, configured, running, connected, works, audit failed",
        "- IRC b: enabled, not configured, stopped, probe failed: missing host or nick, error: missing host or nick",
        "Warning: telegram summary timed out after 10000ms",
    ]
    assert account_line("IRC", {"accountId": "x"}) == "- IRC x: unknown"


def test_configured_accounts():
    config = {"channels": {
        "telegram": {"botToken": "t"},
        "irc": {"accounts": {"a": {}, "b": {"enabled": False}}},
        "slack": {"enabled": False, "appToken": "x"},
        "bogus": "not a section",
    }}
    assert configured_accounts(config) == [
        ConfiguredAccount("telegram", "default", True),
        ConfiguredAccount("irc", "a", True),
        ConfiguredAccount("irc", "b", False),
        ConfiguredAccount("slack", "default", False),
    ]
    assert configured_accounts({}) == []
