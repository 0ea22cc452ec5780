"""Global flags before the command: any order, OpenClaw's error texts, exit 2."""

from __future__ import annotations

import os

import pytest

from openclaw.cli import main as cli


@pytest.fixture
def environ(monkeypatch, tmp_path):
    for key in ("OPENCLAW_PROFILE", "OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "OPENCLAW_GATEWAY_PORT", "OPENCLAW_LOG_LEVEL", "NO_COLOR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return os.environ


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-color", "--dev", "--log-level", "debug", "gateway", "--port", "1"],
        ["--log-level=debug", "--dev", "--no-color", "gateway", "--port", "1"],
    ],
)
def test_any_order(environ, argv, tmp_path):
    found, rest = cli._take_globals(argv)
    cli.select_profile(found.dev, found.profile, environ)
    assert rest == ["gateway", "--port", "1"]
    assert environ["OPENCLAW_STATE_DIR"] == str(tmp_path / ".openclaw-dev")
    assert environ["OPENCLAW_GATEWAY_PORT"] == "19001"
    assert environ["OPENCLAW_LOG_LEVEL"] == "debug" and environ["NO_COLOR"] == "1"


def test_profile_sets_paths(environ, tmp_path):
    found, rest = cli._take_globals(["--profile", "Rescue", "gateway"])
    cli.select_profile(found.dev, found.profile, environ)
    assert environ["OPENCLAW_PROFILE"] == "rescue"
    assert environ["OPENCLAW_CONFIG_PATH"] == str(tmp_path / ".openclaw-rescue" / "openclaw.json")
    assert "OPENCLAW_GATEWAY_PORT" not in environ


def test_dev_keeps_an_exported_port(environ):
    environ["OPENCLAW_GATEWAY_PORT"] = "19555"
    found, _ = cli._take_globals(["--dev", "gateway"])
    cli.select_profile(found.dev, found.profile, environ)
    assert environ["OPENCLAW_GATEWAY_PORT"] == "19555"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dev", "--profile", "x", "gateway"], "Cannot combine --dev with --profile\n"),
        (["--profile", "bad name", "gateway"], 'Invalid --profile (use letters, numbers, "_", "-" only)\n'),
        (["--profile"], "--profile requires a value\n"),
    ],
)
def test_profile_errors_exit_2(environ, argv, message, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    assert capsys.readouterr().err == message


def test_version(environ, capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["--no-color", "-V"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == cli.VERSION


def test_gateway_help_has_a_usage_line_and_the_subcommands(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["gateway", "--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: openclaw gateway [run] [options]\n")
    listed = [line.split()[0] for line in out.split("Subcommands:\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    assert listed == ["run", "status", "probe", "call", "install", "uninstall", "start", "stop", "restart"]
    assert "\nOptions:\n" in out and "--force" in out


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_gateway_version_is_ours(flag, capsys):
    from openclaw import VERSION

    with pytest.raises(SystemExit) as caught:
        cli.main(["gateway", flag])
    assert caught.value.code == 0
    assert capsys.readouterr().out == f"{VERSION}\n"
