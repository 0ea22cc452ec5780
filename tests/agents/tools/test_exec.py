"""exec: runs through the reactor in the workspace, killed at its timeout (on the clock), output capped."""

from __future__ import annotations

import pytest
import pytest_twisted


@pytest_twisted.ensureDeferred
async def test_runs_in_the_workspace_and_reports_its_exit_code(invoke, workspace):
    (workspace / "sub").mkdir()
    ok = await invoke("exec", {"command": "pwd; echo err >&2"})
    assert not ok.isError and ok.details["exitCode"] == 0
    assert sorted(ok.text.split()) == sorted([str(workspace.resolve()), "err"])  # stdout and stderr, as they arrive
    sub = await invoke("exec", {"command": "pwd", "workdir": "sub"})
    assert sub.text.strip() == str((workspace / "sub").resolve())
    failed = await invoke("exec", {"command": "exit 3"})
    assert failed.isError and failed.details["exitCode"] == 3 and "[exit code 3]" in failed.text


@pytest_twisted.ensureDeferred
async def test_a_workdir_outside_the_workspace_is_refused(invoke):
    result = await invoke("exec", {"command": "pwd", "workdir": ".."})
    assert result.isError and "outside the workspace" in result.text


@pytest_twisted.ensureDeferred
async def test_the_environment_carries_no_gateway_secrets(invoke, monkeypatch):
    monkeypatch.setenv("OPENCLAW_GATEWAY_TOKEN", "do-not-leak")
    result = await invoke("exec", {"command": "env"})
    assert "do-not-leak" not in result.text


@pytest_twisted.ensureDeferred
async def test_a_command_past_its_timeout_is_killed_with_its_children(invoke, toolClock, reactor):
    d = invoke("exec", {"command": "sleep 60 & sleep 60; echo never"}, config={"tools": {"exec": {"timeoutSeconds": 5}}})
    assert not d.called
    toolClock.advance(4)
    assert not d.called
    toolClock.advance(1)
    result = await d.addTimeout(30, reactor)
    assert result.isError and result.details["timedOut"] and "killed after 5 s" in result.text
    assert "never" not in result.text


@pytest_twisted.ensureDeferred
async def test_output_beyond_the_cap_is_dropped_and_counted(invoke):
    result = await invoke("exec", {"command": "printf 'a%.0s' $(seq 5000)"},
                          config={"tools": {"exec": {"maxOutputBytes": 1000}}})
    assert result.details["truncated"] and result.text.startswith("a" * 1000)
    assert "a" * 1001 not in result.text and "[output truncated: 4000 more bytes]" in result.text


@pytest_twisted.ensureDeferred
async def test_cancelling_the_call_kills_the_command(invoke, toolClock, workspace, reactor):
    from twisted.internet.defer import CancelledError
    from twisted.internet.task import deferLater

    d = invoke("exec", {"command": "sleep 0.5; touch late"})
    d.cancel()
    with pytest.raises(CancelledError):
        await d
    assert not toolClock.getDelayedCalls()  # the timeout timer is gone too
    await deferLater(reactor, 1.0, lambda: None)  # longer than the command would have taken
    assert not (workspace / "late").exists()


@pytest_twisted.ensureDeferred
async def test_output_is_reported_as_partial_results_while_the_command_runs(make_context, workspace):
    from dataclasses import replace

    from openclaw.agents.tools.registry import default_registry

    partials = []

    def heard(partial):
        partials.append(partial)
        (workspace / "go").touch()  # the command waits for this before its second line

    context = replace(make_context(), onUpdate=heard)
    command = "echo one; for i in $(seq 1000); do [ -e go ] && break; sleep 0.01; done; echo two >&2"
    result = await default_registry().invoke("exec", {"command": command}, context)
    assert result.text == "one\ntwo\n" and not result.isError
    assert [p.text for p in partials] == ["one\n", "one\ntwo\n"]
    assert partials[-1].details == {"status": "running", "outputBytes": 8}


@pytest_twisted.ensureDeferred
async def test_a_partial_result_carries_only_the_end_of_long_output(make_context):
    from dataclasses import replace

    from openclaw.agents.tools.execute import UPDATE_TAIL
    from openclaw.agents.tools.registry import default_registry

    partials = []
    context = replace(make_context(), onUpdate=partials.append)
    result = await default_registry().invoke("exec", {"command": "printf 'a%.0s' $(seq 20000); printf end"}, context)
    assert len(result.text) == 20003
    assert len(partials[-1].text) == UPDATE_TAIL and partials[-1].text.endswith("aend")
