"""read, write and edit: inside the workspace they work; any path leading out is refused."""

from __future__ import annotations

import os

import pytest
import pytest_twisted


@pytest_twisted.ensureDeferred
async def test_write_read_edit_inside_the_workspace(invoke, workspace):
    written = await invoke("write", {"path": "notes/a.txt", "content": "one\ntwo\nthree\n"})
    assert not written.isError and written.details["bytes"] == 14
    assert (workspace / "notes" / "a.txt").read_text() == "one\ntwo\nthree\n"
    part = await invoke("read", {"path": "notes/a.txt", "offset": 2, "limit": 1})
    assert (part.text, part.details["totalLines"]) == ("two\n", 3)
    edited = await invoke("edit", {"path": "notes/a.txt", "oldText": "two", "newText": "2"})
    assert not edited.isError
    assert (workspace / "notes" / "a.txt").read_text() == "one\n2\nthree\n"


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/hostname", "notes/../../outside.txt", "link/secret.txt"])
@pytest.mark.parametrize("tool", ["read", "write", "edit"])
@pytest_twisted.ensureDeferred
async def test_paths_outside_the_workspace_are_refused(invoke, workspace, tmp_path, tool, path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "elsewhere", workspace / "link")
    result = await invoke(tool, {"path": path, "content": "x", "oldText": "secret", "newText": "y"})
    assert result.isError and "outside the workspace" in result.text
    assert (tmp_path / "elsewhere" / "secret.txt").read_text() == "secret"
    assert not (tmp_path / "outside.txt").exists()


@pytest_twisted.ensureDeferred
async def test_edit_needs_exactly_one_match(invoke, workspace):
    (workspace / "a.txt").write_text("x x")
    assert "2 times" in (await invoke("edit", {"path": "a.txt", "oldText": "x", "newText": "y"})).text
    assert "not found" in (await invoke("edit", {"path": "a.txt", "oldText": "z", "newText": "y"})).text
    assert (workspace / "a.txt").read_text() == "x x"


@pytest_twisted.ensureDeferred
async def test_bad_arguments_and_missing_files_are_error_results(invoke):
    assert (await invoke("read", {})).text == "missing argument: path"
    assert (await invoke("read", {"path": 3})).text == "path must be a string"
    assert (await invoke("read", {"path": "a", "limit": 0})).text == "limit must be between 1 and 1000000000"
    missing = await invoke("read", {"path": "nope.txt"})
    assert missing.isError and missing.text == "no such file: nope.txt"


@pytest_twisted.ensureDeferred
async def test_denied_by_policy_the_tool_does_not_run(invoke, workspace):
    from openclaw.agents.tools.registry import ToolUnavailable

    with pytest.raises(ToolUnavailable) as caught:
        await invoke("write", {"path": "a.txt", "content": "x"}, config={"tools": {"deny": ["group:fs"]}})
    assert caught.value.decision.layer == "global"
    assert not (workspace / "a.txt").exists()
    with pytest.raises(ToolUnavailable) as unknown:
        await invoke("teleport", {})
    assert unknown.value.decision is None and str(unknown.value) == "Tool not available: teleport"
