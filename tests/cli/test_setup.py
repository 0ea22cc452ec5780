"""C{openclaw --dev setup}: config, workspace and session directories, then a gateway runs from them."""

from __future__ import annotations

import json

import pytest_twisted

from openclaw.agents.workspace import DEFAULT_FILES



def _dev_env(cli) -> dict[str, str]:
    """A home without the install's explicit state dir/config path: --dev picks them."""
    env = dict(cli.install.env)
    del env["OPENCLAW_STATE_DIR"], env["OPENCLAW_CONFIG_PATH"]
    env["OPENCLAW_GATEWAY_PORT"] = str(cli.port)  # not the shared dev port 19001
    return env


@pytest_twisted.ensureDeferred
async def test_dev_setup_then_dev_gateway_then_dev_status(cli):
    env = _dev_env(cli)
    home = cli.install.home
    result = await cli.run("--dev", "setup", env=env)
    assert result.code == 0, result
    assert result.lines[:3] == [
        "Wrote ~/.openclaw-dev/openclaw.json",
        "Workspace OK: ~/.openclaw/workspace-dev",
        "Sessions OK: ~/.openclaw-dev/agents/main/sessions",
    ]
    assert "Setup complete: config, workspace, and session directories are ready." in result.lines
    config = json.loads((home / ".openclaw-dev" / "openclaw.json").read_text())
    assert config["gateway"]["mode"] == "local"
    assert config["agents"]["defaults"]["workspace"] == str(home / ".openclaw" / "workspace-dev")
    assert (home / ".openclaw-dev" / "agents" / "main" / "sessions").is_dir()
    workspace = home / ".openclaw" / "workspace-dev"
    assert sorted(p.name for p in workspace.iterdir()) == sorted(DEFAULT_FILES)
    assert "Created ~/.openclaw/workspace-dev/AGENTS.md" in result.lines
    (workspace / "SOUL.md").write_text("mine")
    (workspace / "USER.md").unlink()

    again = await cli.run("--dev", "setup", env=env)
    assert again.lines[0] == "Config OK: ~/.openclaw-dev/openclaw.json"
    assert [line for line in again.lines if line.startswith("Created")] == ["Created ~/.openclaw/workspace-dev/USER.md"]
    assert (workspace / "SOUL.md").read_text() == "mine"  # the user's files are never overwritten
    assert json.loads((home / ".openclaw-dev" / "openclaw.json").read_text()) == config

    # The runbook's next steps work on what setup wrote.
    gateway = cli.launcher.openclaw(cli.install, "--dev", "gateway", env=env, name="dev-gateway")
    port = await cli.launcher.listening(gateway)
    assert port == int(env["OPENCLAW_GATEWAY_PORT"])
    status = await cli.run("--dev", "channels", "status", env=env)
    assert status.code == 0 and status.lines[0] == "Gateway reachable.", status


@pytest_twisted.ensureDeferred
async def test_setup_keeps_an_existing_config_and_adds_only_what_is_missing(cli):
    path = cli.install.configPath
    original = json.loads(path.read_text())
    result = await cli.run("setup", "--workspace", str(cli.install.root / "ws"))
    assert result.code == 0, result
    written = json.loads(path.read_text())
    assert written["gateway"] == original["gateway"]
    assert written["agents"]["defaults"]["workspace"] == str(cli.install.root / "ws")
    assert (cli.install.root / "ws").is_dir()


@pytest_twisted.ensureDeferred
async def test_setup_refuses_bad_flags_and_broken_configs(cli):
    assert (await cli.run("setup", "--mode", "sometimes")).code == 1
    assert (await cli.run("setup", "--mode", "remote")).stderr.startswith("openclaw setup: --mode remote requires --remote-url")
    cli.install.configPath.write_text("{oops")
    broken = await cli.run("setup")
    assert broken.code == 1 and broken.stderr.startswith(f"Config is invalid: {cli.install.configPath}")
    assert cli.install.configPath.read_text() == "{oops"
