"""
C{openclaw logs} as a process against a real gateway process: one-shot reads,
JSON lines, the file fallback for the implicit local gateway, C{--url} rules,
and C{--follow} across a gateway restart.
"""

from __future__ import annotations

import json

import pytest_twisted

from openclaw.cli.logs import backoff_seconds
from openclaw.cli.logview import format_time, parse_line

LISTENING = "listening on ws://127.0.0.1:"


@pytest_twisted.ensureDeferred
async def test_reads_the_gateways_log_over_rpc(cli):
    await cli.gateway()
    result = await cli.run("logs", "--limit", "50")
    assert result.code == 0, result
    assert result.lines[0] == f"Log file: {cli.install.logFile}"
    listening = [line for line in result.lines if LISTENING in line]
    assert listening and " info gateway listening on" in listening[0]
    assert "reading configured file log instead" not in result.stderr

    lines = [json.loads(line) for line in (await cli.run("logs", "--json", "--limit", "3")).lines]
    assert lines[0] == {
        "type": "meta", "file": str(cli.install.logFile), "sourceKind": "file",
        "cursor": lines[0]["cursor"], "size": lines[0]["size"],
    }
    logs = [line for line in lines if line["type"] == "log"]
    assert 0 < len(logs) <= 3
    assert {"time", "level", "message", "raw"} <= set(logs[0])
    assert lines[-1] == {"type": "notice", "message": "Log tail truncated (increase --limit or --max-bytes)."}


@pytest_twisted.ensureDeferred
async def test_stopped_local_gateway_falls_back_to_the_file(cli):
    await cli.gateway()
    await cli.launcher.stop(cli.child)
    result = await cli.run("logs", "--limit", "200", "--utc")
    assert result.code == 0, result
    assert "Local Gateway RPC unavailable; reading configured file log instead." in result.stderr
    assert result.lines[0] == f"Log file: {cli.install.logFile}"
    assert any(line.endswith("info gateway gateway stopped") for line in result.lines), result.stdout
    assert all(line.split(" ", 1)[0].endswith("Z") for line in result.lines[1:])
    meta = json.loads((await cli.run("logs", "--json")).lines[0])
    assert meta["localFallback"] is True


@pytest_twisted.ensureDeferred
async def test_explicit_url_never_falls_back(cli):
    await cli.gateway()
    url = f"ws://127.0.0.1:{cli.port}"
    missing = await cli.run("logs", "--url", url, "--json")
    assert missing.code == 1
    assert missing.json()["error"]["message"].startswith("gateway url override requires explicit credentials")
    wrong = await cli.run("logs", "--url", url, "--token", "wrong-token-0123456789")
    assert wrong.code == 1 and "unauthorized: gateway token mismatch" in wrong.stderr
    await cli.launcher.stop(cli.child)
    gone = await cli.run("logs", "--url", url, "--token", "t")
    assert gone.code == 1 and f"connect ECONNREFUSED 127.0.0.1:{cli.port}" in gone.stderr
    assert "Log file:" not in gone.stdout


@pytest_twisted.ensureDeferred
async def test_invalid_numbers_exit_1(cli):
    for flag in ("--limit", "--max-bytes", "--interval"):
        result = await cli.run("logs", flag, "0", "--json")
        assert result.code == 1
        assert result.json()["error"]["type"] == "cli_error"
        assert flag in result.json()["error"]["message"]


@pytest_twisted.ensureDeferred
async def test_follow_reconnects_after_a_gateway_restart(cli):
    await cli.gateway()
    follow = cli.launcher.openclaw(cli.install, "logs", "--follow", "--interval", "100", "--limit", "5", name="follow")
    await follow.line(LISTENING, "stdout")
    await cli.launcher.stop(cli.child)
    await follow.line(r"^\[logs\] gateway disconnected, reconnecting in 1s\.\.\.$", "stderr")
    await cli.gateway()
    await follow.line(r"^\[logs\] gateway reconnected$", "stderr")
    # The new gateway's lines arrive through the old cursor.
    await follow.line(rf"info gateway listening on ws://127\.0\.0\.1:\d+ \(PID {cli.child.pid}\)$", "stdout")
    follow.signal("TERM")
    assert await follow.exited() == 130


def test_backoff_doubles_up_to_30_seconds():
    assert [backoff_seconds(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_log_lines_of_both_gateways_parse():
    ours = parse_line(
        '{"0":"{\\"subsystem\\":\\"gateway/ws\\"}","1":"closed","_meta":{"logLevelName":"WARN",'
        '"name":"{\\"subsystem\\":\\"gateway/ws\\"}"},"time":"2026-11-24T05:30:14.522+00:00","message":"closed"}'
    )
    assert (ours.level, ours.subsystem, ours.message) == ("warn", "gateway/ws", "closed")
    node = parse_line(
        '{"0":"{\\"module\\":\\"cron\\"}","1":{"jobs":1},"2":"cron: started","_meta":{"logLevelName":"INFO",'
        '"name":"{\\"module\\":\\"cron\\"}","date":"2026-11-24T01:55:07.473Z"}}'
    )
    assert (node.module, node.message, node.time) == ("cron", '{"jobs":1} cron: started', "2026-11-24T01:55:07.473Z")
    assert parse_line("not json") is None and parse_line("[1]") is None
    assert format_time("2026-11-24T06:30:14.522+01:00", utc=True) == "2026-11-24T05:30:14.522Z"
    assert format_time("garbage", utc=True) == "garbage"
