"""
`openclaw agent` as a real process against a real `openclaw gateway` process whose
model is a scripted upstream in the test (OpenAI chat-completions SSE on 127.0.0.1):
the reply streamed as it arrives, `--json`, a gateway that is down, a run that fails.
"""

from __future__ import annotations

import json

import pytest_twisted
from twisted.internet.defer import Deferred

from tests.agents.runs.conftest import DONE, MODEL, chunk, run_config, text_reply
from tests.agents.upstream import FAILSAFE_SECONDS, Reply, closed_by_client
from tests.agents.upstream import upstream  # noqa: F401 (fixture)
from tests.cli.conftest import CliRunner


def gateway_config(cli: CliRunner, upstream, agents: dict | None = None) -> dict:
    """A config naming the scripted upstream as the model (and C{agents.entries}, when given), on the CLI's port."""
    config = run_config(upstream.base)
    config["gateway"]["port"] = cli.port
    config["agents"]["defaults"]["models"] = {MODEL: {"alias": "fast"}}
    if agents is not None:
        config["agents"]["entries"] = agents
    return config


async def start_gateway(cli: CliRunner, upstream, agents: dict | None = None) -> CliRunner:
    """The CLI's install gets L{gateway_config}, and its gateway runs."""
    cli.install.write_config(gateway_config(cli, upstream, agents))
    await cli.gateway()
    return cli


def user_text(request) -> str:
    return request.body["messages"][-1]["content"]


@pytest_twisted.ensureDeferred
async def test_the_reply_is_printed_while_it_streams(cli, upstream):
    await start_gateway(cli, upstream)
    held: Deferred = Deferred()
    upstream.reply(Reply([
        chunk({"role": "assistant", "content": ""}), chunk({"content": "First line\n"}), held,
        chunk({"content": "and the rest."}), chunk(finish="stop"), chunk(usage={"prompt_tokens": 5, "completion_tokens": 4}),
        DONE,
    ]))
    child = cli.launcher.openclaw(cli.install, "agent", "--agent", "main", "-m", "write two lines", name="agent")
    await child.line(r"^First line$", "stdout", timeout=FAILSAFE_SECONDS)
    assert not child.ended and not held.called  # printed while the upstream still held the rest back
    held.callback(None)
    assert await child.exited(FAILSAFE_SECONDS) == 0, child.describe()
    assert child.stdout == "First line\nand the rest.\n"
    assert child.stderr == ""
    assert user_text(upstream.requests[0]) == "write two lines"


@pytest_twisted.ensureDeferred
async def test_json_prints_the_final_answer_only(cli, upstream):
    await start_gateway(cli, upstream)
    upstream.reply(text_reply("Stored", " away."))
    result = await cli.run("agent", "--session-key", "notes", "--message", "keep this", "--json")
    assert result.code == 0, result.stderr
    answer = result.json()
    assert answer["status"] == "ok" and answer["summary"] == "completed"
    assert answer["result"]["payloads"] == [{"text": "Stored away.", "mediaUrl": None}]
    meta = answer["result"]["meta"]["agentMeta"]
    assert (meta["provider"], meta["model"], meta["usage"]["output"]) == ("fakeup", "fake-model", 2)
    assert len(answer["runId"]) == 36  # the idempotency key the CLI generated
    # the named session, of the default agent, got the run
    history = await cli.run("gateway", "call", "chat.history", "--params", '{"sessionKey": "agent:main:notes"}')
    assert [m["role"] for m in json.loads(history.stdout)["messages"]] == ["user", "assistant"]


@pytest_twisted.ensureDeferred
async def test_a_model_and_a_timeout_go_with_the_request(cli, upstream):
    await start_gateway(cli, upstream)
    upstream.reply(text_reply("ok"))
    result = await cli.run("agent", "-m", "hi", "--model", "fakeup/backup-model", "--timeout", "45")
    assert (result.code, result.stdout) == (0, "ok\n"), result.stderr
    assert upstream.requests[0].body["model"] == "backup-model"


@pytest_twisted.ensureDeferred
async def test_a_run_that_fails_exits_1_with_the_reason(cli, upstream):
    await start_gateway(cli, upstream)
    upstream.reply(Reply([b'{"error":{"message":"context too long for this model"}}'], status=400))
    result = await cli.run("agent", "-m", "hi")
    assert result.code == 1 and result.stdout == ""
    assert "model request failed" in result.stderr and "context too long for this model" in result.stderr

    upstream.reply(Reply([b'{"error":{"message":"still too long"}}'], status=400))
    result = await cli.run("agent", "-m", "hi", "--json")
    assert result.code == 1
    error = result.json()["error"]
    assert error["type"] == "gateway_error" and error["code"] == "UNAVAILABLE" and "still too long" in error["message"]
    assert len(error["runId"]) == 36


@pytest_twisted.ensureDeferred
async def test_a_refused_request_exits_1_with_the_gateways_words(cli, upstream):
    await start_gateway(cli, upstream)
    result = await cli.run("agent", "--agent", "nobody", "-m", "hi")
    assert result.code == 1 and result.stderr == 'unknown agent id "nobody"\n'
    result = await cli.run("agent", "--json")
    assert result.code == 1 and result.json()["error"]["message"].startswith("agent needs --message")
    assert upstream.requests == []


@pytest_twisted.ensureDeferred
async def test_a_gateway_that_is_down(cli, upstream):
    cli.install.write_config(run_config(upstream.base) | {"gateway": {"mode": "local", "port": cli.port,
                                                                      "auth": {"token": "t-0123456789"}}})
    result = await cli.run("agent", "-m", "hi")
    assert result.code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"gateway connect failed: connect ECONNREFUSED 127.0.0.1:{cli.port}\n")
    result = await cli.run("agent", "-m", "hi", "--json")
    assert result.code == 1
    error = result.json()["error"]
    assert (error["type"], error["kind"]) == ("gateway_transport_error", "refused")
    assert upstream.requests == []


@pytest_twisted.ensureDeferred
async def test_a_run_that_times_out_exits_1_after_what_it_streamed(cli, upstream):
    await start_gateway(cli, upstream)
    upstream.reply(Reply([chunk({"content": "Half a"})], end="hang"))  # the upstream never finishes
    result = await cli.run("agent", "-m", "hi", "--timeout", "1")
    assert result.code == 1
    assert (result.stdout, result.stderr) == ("Half a\n", "Run timeout: timeout\n")

    upstream.reply(Reply([chunk({"content": "Again"})], end="hang"))
    result = await cli.run("agent", "-m", "hi", "--timeout", "1", "--json")
    assert result.code == 1
    answer = result.json()
    assert (answer["status"], answer["summary"], answer["stopReason"]) == ("timeout", "aborted", "timeout")


@pytest_twisted.ensureDeferred
async def test_ctrl_c_stops_the_run_on_the_gateway(cli, upstream):
    await start_gateway(cli, upstream)
    upstream.reply(Reply([chunk({"content": "Going on\n"})], end="hang"))
    child = cli.launcher.openclaw(cli.install, "agent", "--session-key", "long", "-m", "write forever", name="agent")
    await child.line(r"^Going on$", "stdout", timeout=FAILSAFE_SECONDS)
    child.signal("INT")
    assert await child.exited(FAILSAFE_SECONDS) == 130, child.describe()
    assert "Interrupted; run " in child.stderr and " stopped." in child.stderr
    assert await closed_by_client(upstream.requests[0], cli.launcher.reactor)  # the model request was closed
    history = await cli.run("gateway", "call", "chat.history", "--params", '{"sessionKey": "agent:main:long"}')
    assert [m["role"] for m in json.loads(history.stdout)["messages"]] == ["user", "assistant"]  # the partial reply kept
