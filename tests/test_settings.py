"""Start-up resolution in-process: precedence rules, token generation, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openclaw.config.load import ConfigSource
from openclaw.settings import StartupError, resolve
from tests.conftest import TOKEN, write_config


def _resolve(environ, config=None, **options):
    if config is not None:
        write_config(environ, config)
    return resolve(options, environ)


LOCAL = {"gateway": {"mode": "local", "auth": {"token": TOKEN}}}


@pytest.mark.parametrize(
    "cli, env, configured, expected",
    [
        ("1111", "2222", 3333, (1111, "--port")),
        (None, "2222", 3333, (2222, "OPENCLAW_GATEWAY_PORT")),
        (None, "127.0.0.1:2223", 3333, (2223, "OPENCLAW_GATEWAY_PORT")),
        (None, "[::1]:2224", 3333, (2224, "OPENCLAW_GATEWAY_PORT")),
        (None, "garbage", 3333, (3333, "gateway.port")),
        (None, None, None, (18789, "default")),
    ],
)
def test_port_precedence(environ, cli, env, configured, expected):
    config = json.loads(json.dumps(LOCAL))
    if configured:
        config["gateway"]["port"] = configured
    if env:
        environ["OPENCLAW_GATEWAY_PORT"] = env
    settings = _resolve(environ, config, port=cli)
    assert (settings.port, settings.portSource) == expected


def test_invalid_port_flag(environ):
    with pytest.raises(StartupError) as caught:
        _resolve(environ, LOCAL, port="http")
    assert (caught.value.message, caught.value.exitCode) == ("Invalid --port: http", 1)


def test_token_precedence_cli_config_env(environ):
    environ["OPENCLAW_GATEWAY_TOKEN"] = "from-env"
    assert _resolve(environ, LOCAL, token="from-cli").token == "from-cli"
    assert _resolve(environ, LOCAL).token == TOKEN
    assert _resolve(environ, {"gateway": {"mode": "local"}}).token == "from-env"


def test_env_token_beats_a_secret_ref(environ):
    environ["OPENCLAW_GATEWAY_TOKEN"] = "from-env"
    ref = {"gateway": {"mode": "local", "auth": {"token": {"source": "file", "provider": "f", "id": "/x"}}}}
    assert _resolve(environ, ref).token == "from-env"


def test_env_secret_ref_resolves_and_unresolvable_refs_fail_start_up(environ):
    environ["MY_TOKEN"] = "from-ref"
    ref = {"gateway": {"mode": "local", "auth": {"token": {"source": "env", "provider": "default", "id": "MY_TOKEN"}}}}
    assert _resolve(environ, ref).token == "from-ref"
    ref["gateway"]["auth"]["token"] = {"source": "exec", "provider": "vault", "id": "gw"}
    with pytest.raises(StartupError) as caught:
        _resolve(environ, ref)
    assert caught.value.exitCode == 1  # a generic start-up failure, as in OpenClaw
    assert caught.value.message == (
        "Startup failed: required secrets are unavailable. "
        'gateway.auth.token could not be resolved (provider "vault" is not configured)'
    )


def test_password_mode_when_only_a_password_is_set(environ):
    environ["OPENCLAW_GATEWAY_PASSWORD"] = "pw"
    settings = _resolve(environ, {"gateway": {"mode": "local"}})
    assert (settings.authMode, settings.secret) == ("password", "pw")


def test_generated_token_is_saved_with_a_backup(environ):
    path = write_config(environ, {"gateway": {"mode": "local"}})
    settings = _resolve(environ)
    assert settings.tokenGenerated and len(settings.token) == 48
    assert json.loads(path.read_text())["gateway"]["auth"]["token"] == settings.token
    assert json.loads(Path(str(path) + ".bak").read_text()) == {"gateway": {"mode": "local"}}
    assert settings.token not in " ".join(settings.notices)


def test_generated_token_stays_runtime_only_with_included_gateway(environ, tmp_path):
    config_dir = Path(environ["OPENCLAW_CONFIG_PATH"]).parent
    config_dir.mkdir(parents=True)
    (config_dir / "gw.json5").write_text('{mode: "local"}')
    path = write_config(environ, {"gateway": {"$include": "./gw.json5"}})
    before = path.read_text()
    settings = _resolve(environ)
    assert settings.tokenGenerated and path.read_text() == before
    assert "runtime token" in settings.notices[0]


def test_loopback_and_custom_bind_hosts(environ):
    assert _resolve(environ, LOCAL).bindHosts[0] == "127.0.0.1"
    config = {"gateway": {"mode": "local", "auth": {"token": TOKEN}, "bind": "custom", "customBindHost": "127.0.0.2"}}
    assert _resolve(environ, config).bindHosts == ("127.0.0.2", "127.0.0.1")


def test_inactive_sections_are_warned_about(environ):
    config = {"gateway": {"mode": "local", "auth": {"token": TOKEN}, "channelHealthCheckMinutes": 5}}
    assert _resolve(environ, config).warnings == (
        "gateway.channelHealthCheckMinutes is configured but not served by this gateway version yet; ignoring it.",
    )


def test_dev_reset_removes_config_and_workspace(home, environ):
    from openclaw import paths

    paths.use_profile("dev", environ)
    first = _resolve(environ, None, dev=True)
    workspace = home / ".openclaw" / "workspace-dev"
    assert workspace.is_dir() and first.notices[0].startswith("Dev config ready: ")
    token = first.token
    second = _resolve(environ, None, dev=True, reset=True)
    assert [n for n in second.notices if n.startswith("Dev reset: removed")]
    assert second.token != token  # a fresh config got a fresh token


def test_password_file_and_its_errors(environ, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    settings = _resolve(environ, {"gateway": {"mode": "local", "auth": {"mode": "password"}}}, **{"password-file": str(secret)})
    assert (settings.authMode, settings.password) == ("password", "from-file")
    with pytest.raises(StartupError) as caught:
        _resolve(environ, None, **{"password-file": str(tmp_path / "missing")})
    assert caught.value.exitCode == 1 and "Could not read --password-file" in caught.value.message
    with pytest.raises(StartupError) as caught:
        _resolve(environ, None, password="x", **{"password-file": str(secret)})
    assert (caught.value.message, caught.value.exitCode) == ("Use either --password or --password-file.", 1)


@pytest.mark.parametrize("value", ["", "  ", "undefined", "null"])
def test_placeholder_secrets(environ, value):
    environ["OPENCLAW_GATEWAY_TOKEN"] = value  # an unset variable expanded by a unit file: ignored
    settings = _resolve(environ, {"gateway": {"mode": "local"}})
    assert settings.tokenGenerated
    with pytest.raises(StartupError) as caught:
        _resolve(environ, None, token=value)
    assert caught.value.exitCode == 1 and caught.value.message.startswith("Invalid --token:")


def test_a_placeholder_env_token_leaves_the_secret_ref_in_charge(environ):
    environ["OPENCLAW_GATEWAY_TOKEN"] = "undefined"  # an unset variable expanded by a unit file
    environ["MY_TOKEN"] = "from-ref"
    ref = {"source": "env", "provider": "default", "id": "MY_TOKEN"}
    path = write_config(environ, {"gateway": {"mode": "local", "auth": {"token": ref}}})
    before = path.read_text()
    settings = _resolve(environ)
    assert (settings.token, settings.tokenGenerated) == ("from-ref", False)
    del environ["MY_TOKEN"]
    with pytest.raises(StartupError) as caught:
        _resolve(environ)
    assert caught.value.message.startswith("Startup failed: required secrets are unavailable.")
    assert path.read_text() == before and not Path(str(path) + ".bak").exists()


def test_persist_token_never_overwrites_a_configured_token(environ):
    from openclaw.config import configfile

    ref = {"source": "env", "provider": "default", "id": "MY_TOKEN"}
    path = write_config(environ, {"gateway": {"mode": "local", "auth": {"token": ref}}})
    before = path.read_text()
    notice = configfile.persist_token(str(path), "generated-0123456789")
    assert path.read_text() == before and not Path(str(path) + ".bak").exists()
    assert "runtime token" in notice and "generated-0123456789" not in notice


def test_validating_a_config_never_writes_a_generated_token(environ):
    from openclaw.config.load import load_source
    from openclaw.settings import build
    from openclaw.paths import Paths

    path = write_config(environ, {"gateway": {"mode": "local", "auth": {"mode": "token"}}})
    before = path.read_text()
    source = load_source(str(path), environ)
    settings = build({}, environ, Paths.fromEnvironment(environ), source, persist=False)
    assert settings.tokenGenerated and settings.token
    assert path.read_text() == before and not Path(str(path) + ".bak").exists()
    assert settings.configDigest == source.digest  # what the watcher accepts is what was loaded


def test_trusted_proxies_are_in_use_not_warned_about(environ):
    config = {"gateway": {"mode": "local", "auth": {"token": TOKEN}, "trustedProxies": ["10.0.0.1"]}}
    assert _resolve(environ, config).warnings == ()


# typed sections, built once per snapshot -------------------------------------------


def test_sections_default_when_the_config_says_nothing():
    from openclaw.agents.settings import AgentsSettings
    from openclaw.channels.settings import ChannelsSettings
    from openclaw.settings import ReloadSettings

    assert ReloadSettings.fromConfig({}) == ReloadSettings("hybrid", 300, 300_000, True)
    assert [a.id for a in AgentsSettings.fromConfig({}).agents] == ["main"]
    assert AgentsSettings.fromConfig({}).defaultAgentId == "main"
    assert ChannelsSettings.fromConfig({}).accounts == ()


def test_sections_take_their_part_of_the_config():
    from openclaw.agents.settings import AgentsSettings, HeartbeatSettings
    from openclaw.channels.settings import ChannelsSettings
    from openclaw.settings import ReloadSettings

    config = {
        "gateway": {"reload": {"mode": "off", "debounceMs": 50, "deferralTimeoutMs": 1000}},
        "commands": {"restart": False},
        "agents": {
            "list": [{"id": "a"}, {"id": "b", "name": "Bee", "default": True}, {"name": "no id"}],
            "defaults": {"heartbeat": {"every": "5m", "target": "last", "ackMaxChars": 10}},
        },
        "channels": {"irc": {"accounts": {"x": {}, "y": {"enabled": False}}}},
    }
    assert ReloadSettings.fromConfig(config) == ReloadSettings("off", 50, 1000, False)
    agents = AgentsSettings.fromConfig(config)
    assert [(a.id, a.name) for a in agents.agents] == [("a", None), ("b", "Bee")] and agents.defaultAgentId == "b"
    assert agents.heartbeat == HeartbeatSettings(every="5m", everyMs=300_000, prompt="", target="last", ackMaxChars=10)
    accounts = ChannelsSettings.fromConfig(config).accounts
    assert [(a.channelId, a.accountId, a.enabled) for a in accounts] == [("irc", "x", True), ("irc", "y", False)]


def test_built_settings_carry_every_section(environ):
    from openclaw.settings import build
    from openclaw.paths import Paths

    config = {"gateway": {"mode": "local", "auth": {"token": "t" * 32}, "trustedProxies": ["10.0.0.1"],
                          "controlUi": {"basePath": "/ui/", "allowedOrigins": ["https://a"]}},
              "logging": {"level": "debug"}, "agents": {"list": [{"id": "ops"}]}}
    paths = Paths.fromEnvironment(environ)
    source = ConfigSource(paths.configPath, config, (), "h", "d")
    s = build({"log-level": None}, environ, paths, source)
    assert s.trustedProxies == ("10.0.0.1",)
    assert (s.controlUi.basePath, s.controlUi.allowedOrigins, s.controlUi.root) == ("/ui", ("https://a",), None)
    assert s.logging.level == "debug" and s.logging.console is False
    assert s.agents.defaultAgentId == "ops" and s.reload.mode == "hybrid"
