"""What the operator reads: `channels status` lines with problems and their fix, and doctor's channel check."""

from __future__ import annotations

from types import SimpleNamespace

from openclaw.cli.channels import render
from openclaw.cli.doctor_checks import WARN, check_channels


def test_status_lines_name_each_problem_and_its_fix():
    result = {
        "channelOrder": ["irc"],
        "channelLabels": {"irc": "IRC"},
        "channels": {"irc": {"statusIssues": [{"channel": "irc", "accountId": "default", "kind": "runtime",
                                               "message": "IRC login failed (464): Password incorrect",
                                               "fix": "check the IRC server and credentials"}]}},
        "channelAccounts": {"irc": [{"accountId": "default", "enabled": True, "configured": True, "running": False,
                                     "lastError": "IRC login failed (464): Password incorrect"}]},
    }
    assert render(result) == [
        "Gateway reachable.",
        "- IRC default: enabled, configured, stopped, error: IRC login failed (464): Password incorrect",
        "Problem: IRC default (runtime): IRC login failed (464): Password incorrect",
        "  fix: check the IRC server and credentials",
    ]


def test_doctor_reports_accounts_that_cannot_run():
    local = SimpleNamespace(config={"channels": {
        "irc": {"nick": "claw"},
        "telegram": {"botToken": "1:x", "dmPolicy": "open"},
        "slack": {"enabled": False},
    }})
    findings = check_channels(SimpleNamespace(local=local, environ={}))
    assert [(f.check, f.level, f.message) for f in findings] == [
        ("channels", WARN, "irc default: missing host or nick\n  fix: set channels.irc.host and channels.irc.nick "
                           "(or IRC_HOST and IRC_NICK for the default account)"),
        ("channels", WARN, 'telegram default: dmPolicy "open" needs "*" in allowFrom; DMs are treated as allowlist\n'
                           "  fix: edit channels.telegram"),
    ]
    assert check_channels(SimpleNamespace(local=SimpleNamespace(config={"channels": {"irc": {"host": "h", "nick": "n"}}}),
                                          environ={})) == []
