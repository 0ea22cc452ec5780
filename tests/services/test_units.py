"""The systemd unit and the launchd plist that install writes, field by field."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
from pathlib import Path

import pytest

from openclaw.paths import select_profile
from openclaw.services.definition import ServiceDefinition, build, entry_point
from openclaw.services.identity import identify
from openclaw.services.launchd import parse_plist, render_plist
from openclaw.services.systemd import _entries, parse_unit, render_unit

ENTRY = "/opt/openclaw/bin/openclaw"


def _unit_fields(text: str) -> dict[tuple[str, str], list[str]]:
    fields: dict[tuple[str, str], list[str]] = {}
    for section, key, value in _entries(text):
        fields.setdefault((section, key), []).append(value)
    return fields


def test_user_unit_fields(env):
    identity = identify(env, "systemd")
    text = render_unit(identity, build(identity, 18789, env, entry=ENTRY))
    fields = _unit_fields(text)
    home = env["HOME"]
    assert fields == {
        ("Unit", "Description"): ["OpenClaw Gateway"],
        ("Unit", "After"): ["network-online.target"],
        ("Unit", "Wants"): ["network-online.target"],
        ("Unit", "StartLimitBurst"): ["10"],
        ("Unit", "StartLimitIntervalSec"): ["300"],
        ("Service", "ExecStart"): [f"{ENTRY} gateway --port 18789"],
        ("Service", "Restart"): ["always"],
        ("Service", "RestartSec"): ["5"],
        ("Service", "RestartPreventExitStatus"): ["78"],
        ("Service", "TimeoutStopSec"): ["330"],
        ("Service", "TimeoutStartSec"): ["30"],
        ("Service", "SuccessExitStatus"): ["0 143"],
        ("Service", "OOMPolicy"): ["continue"],
        ("Service", "KillMode"): ["mixed"],
        ("Service", "Environment"): [
            f"HOME={home}",
            "PATH=/opt/openclaw/bin:/usr/local/bin:/usr/bin:/bin",
            "OPENCLAW_GATEWAY_PORT=18789",
            "OPENCLAW_SYSTEMD_UNIT=openclaw-gateway.service",
            "OPENCLAW_SERVICE_MARKER=openclaw",
            "OPENCLAW_SERVICE_KIND=gateway",
        ],
        ("Install", "WantedBy"): ["default.target"],
    }
    assert identity.path == f"{home}/.config/systemd/user/openclaw-gateway.service"


def test_profile_unit_names_profile_and_its_paths(env):
    select_profile(False, "rescue", env)
    identity = identify(env, "systemd")
    definition = build(identity, 19100, env, entry=ENTRY)
    assert identity.name == "openclaw-gateway-rescue.service"
    assert identity.path.endswith("/.config/systemd/user/openclaw-gateway-rescue.service")
    assert definition.environment["OPENCLAW_PROFILE"] == "rescue"
    assert definition.environment["OPENCLAW_STATE_DIR"] == f"{env['HOME']}/.openclaw-rescue"
    assert definition.environment["OPENCLAW_CONFIG_PATH"] == f"{env['HOME']}/.openclaw-rescue/openclaw.json"
    assert definition.programArguments == (ENTRY, "gateway", "--port", "19100")
    assert "Description=OpenClaw Gateway (profile rescue)" in render_unit(identity, definition)


def test_dev_profile_is_named_dev(env):
    select_profile(True, None, env)
    assert identify(env, "systemd").name == "openclaw-gateway-dev.service"
    assert identify(env, "launchd").name == "ai.openclaw.dev"


def test_custom_config_path_is_written_default_paths_are_not(env):
    identity = identify(env, "systemd")
    assert not {"OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_PATH", "OPENCLAW_PROFILE"} & set(build(identity, 1, env, ENTRY).environment)
    env["OPENCLAW_CONFIG_PATH"] = "/srv/gw/a.json"
    env["OPENCLAW_STATE_DIR"] = "/srv/gw/state"
    environment = build(identify(env, "systemd"), 1, env, ENTRY).environment
    assert environment["OPENCLAW_CONFIG_PATH"] == "/srv/gw/a.json"
    assert environment["OPENCLAW_STATE_DIR"] == "/srv/gw/state"


def test_no_secret_reaches_the_unit_or_plist(env):
    env["OPENCLAW_GATEWAY_TOKEN"] = "tok-0123456789abcdef0123456789"
    env["OPENCLAW_GATEWAY_PASSWORD"] = "pw-0123456789abcdef"
    for kind in ("systemd", "launchd"):
        identity = identify(env, kind)
        definition = build(identity, 18789, env, ENTRY)
        rendered = render_unit(identity, definition).encode() if kind == "systemd" else render_plist(identity, definition)
        assert b"tok-0123" not in rendered and b"pw-0123" not in rendered
        assert b"OPENCLAW_GATEWAY_TOKEN" not in rendered and b"OPENCLAW_GATEWAY_PASSWORD" not in rendered


def test_awkward_values_survive_the_round_trip(env):
    identity = identify(env, "systemd")
    definition = ServiceDefinition(
        ("/opt/my apps/open%claw/bin/openclaw", "gateway", "--port", "18789", 'say "hi"', "$HOME", "back\\slash"),
        {"HOME": "/home/a b", "ODD": 'q"uo%te$ \\x'},
    )
    assert parse_unit(render_unit(identity, definition)) == definition


def test_system_unit_runs_as_a_user_for_multi_user(env):
    identity = identify(env, "systemd", system=True, systemDir="/etc/systemd/system")
    text = render_unit(identity, build(identity, 18789, env, ENTRY), user="gw")
    fields = _unit_fields(text)
    assert identity.path == "/etc/systemd/system/openclaw-gateway.service"
    assert fields[("Service", "User")] == ["gw"]
    assert fields[("Install", "WantedBy")] == ["multi-user.target"]


def test_plist_fields(env):
    select_profile(False, "work", env)
    identity = identify(env, "launchd")
    definition = build(identity, 19200, env, entry=ENTRY)
    job = plistlib.loads(render_plist(identity, definition))
    state = f"{env['HOME']}/.openclaw-work"
    assert identity.path == f"{env['HOME']}/Library/LaunchAgents/ai.openclaw.work.plist"
    assert job == {
        "Label": "ai.openclaw.work",
        "Comment": "OpenClaw Gateway (profile work)",
        "ProgramArguments": [ENTRY, "gateway", "--port", "19200"],
        "RunAtLoad": True,
        "KeepAlive": True,
        "ExitTimeOut": 20,
        "ProcessType": "Interactive",
        "ThrottleInterval": 10,
        "Umask": 63,
        "StandardInPath": "/dev/null",
        "StandardOutPath": f"{state}/logs/gateway.log",
        "StandardErrorPath": f"{state}/logs/gateway.err.log",
        "EnvironmentVariables": {
            "HOME": env["HOME"],
            "PATH": "/opt/openclaw/bin:/usr/local/bin:/usr/bin:/bin",
            "OPENCLAW_PROFILE": "work",
            "OPENCLAW_STATE_DIR": state,
            "OPENCLAW_CONFIG_PATH": f"{state}/openclaw.json",
            "OPENCLAW_GATEWAY_PORT": "19200",
            "OPENCLAW_LAUNCHD_LABEL": "ai.openclaw.work",
            "OPENCLAW_SERVICE_MARKER": "openclaw",
            "OPENCLAW_SERVICE_KIND": "gateway",
        },
    }
    assert parse_plist(render_plist(identity, definition)) == definition


def test_default_plist_label(env):
    assert identify(env, "launchd").name == "ai.openclaw.gateway"


def test_garbage_plist_is_a_value_error():
    with pytest.raises(ValueError):
        parse_plist(b"not a plist")


# systemd-analyze ------------------------------------------------------------------

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze missing (.ci/run installs Debian's systemd)"
)


def _verify(unit: Path) -> str:
    """systemd-analyze's complaints about C{unit} (system mode: no user manager here)."""
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    return "\n".join(line for line in (done.stdout + done.stderr).splitlines() if unit.name in line or done.returncode)


@needs_analyze
@pytest.mark.parametrize("system", [False, True])
def test_rendered_unit_passes_systemd_analyze_verify(env, tmp_path, system):
    identity = identify(env, "systemd", system=system, systemDir=str(tmp_path))
    unit = tmp_path / "units" / identity.name
    unit.parent.mkdir()
    unit.write_text(render_unit(identity, build(identity, 18789, env), user="daemon" if system else None))
    assert entry_point(env) in unit.read_text()
    assert _verify(unit) == ""


@needs_analyze
def test_systemd_analyze_catches_a_broken_unit(env, tmp_path):
    """The check above can fail: a unit with a bad Restart= and a missing program does."""
    identity = identify(env, "systemd")
    unit = tmp_path / identity.name
    text = render_unit(identity, build(identity, 18789, env, entry=str(tmp_path / "missing" / "openclaw")))
    unit.write_text(text.replace("Restart=always", "Restart=sometimes"))
    complaints = _verify(unit)
    assert "Restart" in complaints or "restart" in complaints
    assert "missing/openclaw" in complaints
