"""
Start-up refusals of `openclaw gateway` as a real process: exact stderr, exact exit
code, and nothing listening. config.md §2/§6, auth.md §2-§3, operations.md §10.
"""

from __future__ import annotations

import re

import pytest
import pytest_twisted

from tests.conftest import TOKEN

EX_CONFIG = 78

MISSING_CONFIG = (
    "Missing config. Run `openclaw setup` or set gateway.mode=local (or pass --allow-unconfigured).\n"
)
MISSING_MODE = (
    "Gateway start blocked: existing config is missing gateway.mode. Treat this as suspicious or "
    "clobbered config. Re-run `openclaw onboard --mode local` or `openclaw setup`, set "
    "gateway.mode=local manually, or pass --allow-unconfigured.\n"
)
REMOTE_MODE = "Gateway start blocked: set gateway.mode=local (current: remote) or pass --allow-unconfigured.\n"
NO_PASSWORD = (
    "Gateway auth is set to password, but no password is configured.\n"
    "Set gateway.auth.password (or OPENCLAW_GATEWAY_PASSWORD), or pass --password.\n"
)
PASSWORD_WARNING = (
    "Warning: --password can be exposed via process listings. "
    "Prefer --password-file or OPENCLAW_GATEWAY_PASSWORD.\n"
)


async def _refused(launcher, install, *args: str) -> tuple[int, str, str]:
    child = launcher.openclaw(install, *args)
    code = await child.exited()
    assert "listening on" not in child.stdout, child.describe()
    return code, child.stdout, child.stderr


LOCAL = {"gateway": {"mode": "local", "auth": {"token": TOKEN}}}

# (id, config or None for no file, argv, exit code, exact stderr)
EXACT = [
    ("no-config-file", None, ["gateway"], EX_CONFIG, MISSING_CONFIG),
    ("config-without-mode", {"gateway": {"port": 18789}}, ["gateway"], EX_CONFIG, MISSING_MODE),
    ("mode-remote", {"gateway": {"mode": "remote"}}, ["gateway"], EX_CONFIG, REMOTE_MODE),
    ("password-mode-without-password", {"gateway": {"mode": "local", "auth": {"mode": "password"}}},
     ["gateway"], EX_CONFIG, NO_PASSWORD),
    ("bind-bogus", LOCAL, ["gateway", "--bind", "bogus"], 1,
     'Invalid --bind. Use "loopback", "lan", "tailnet", "auto", or "custom".\n'),
    ("auth-bogus", LOCAL, ["gateway", "--auth", "bogus"], 1,
     'Invalid --auth. Use "none", "token", "password", or "trusted-proxy".\n'),
    ("password-and-password-file", LOCAL, ["gateway", "--password", "x", "--password-file", "f"], 1,
     PASSWORD_WARNING + "Use either --password or --password-file.\n"),
    ("dev-with-profile", LOCAL, ["--dev", "--profile", "x", "gateway"], 2, "Cannot combine --dev with --profile\n"),
    ("profile-bad-name", LOCAL, ["--profile", "bad name", "gateway"], 2,
     'Invalid --profile (use letters, numbers, "_", "-" only)\n'),
    ("profile-without-value", LOCAL, ["--profile"], 2, "--profile requires a value\n"),
    ("ws-log-bogus", LOCAL, ["gateway", "--ws-log", "loud"], 1,
     'Invalid --ws-log. Use "auto", "full", or "compact".\n'),
    ("reset-without-dev", LOCAL, ["gateway", "--reset"], 1, "Use --reset with --dev.\n"),
    ("tailscale-serve", LOCAL, ["gateway", "--tailscale", "serve"], 78,
     "Gateway failed to start: --tailscale serve is not supported by this gateway yet.\n"),
    ("tls-enabled", {"gateway": {"mode": "local", "auth": {"token": "t" * 32}, "tls": {"enabled": True}}},
     ["gateway"], 78, "Gateway failed to start: gateway.tls.enabled=true is not supported by this gateway yet.\n"),
]


@pytest.mark.parametrize(
    "config, argv, exitCode, stderr", [case[1:] for case in EXACT], ids=[case[0] for case in EXACT]
)
@pytest_twisted.ensureDeferred
async def test_refusal(launcher, config, argv, exitCode, stderr):
    gw = launcher.install()
    if config is not None:
        gw.write_config(config)
    code, out, err = await _refused(launcher, gw, *argv)
    assert (code, err) == (exitCode, stderr)
    assert out == ""
    assert not gw.logFile.exists()  # refused before the log sink starts


@pytest_twisted.ensureDeferred
async def test_invalid_json5(launcher):
    gw = launcher.install()
    gw.write_config('{gateway: {mode: "local",')
    code, out, err = await _refused(launcher, gw, "gateway")
    assert code == EX_CONFIG
    first, issue, *rest = err.splitlines()
    assert first == f"Gateway failed to start: Invalid config at {gw.configPath}:"
    assert issue.startswith(f"{gw.configPath}:1:") and "JSON5" in issue, err
    assert rest == []


@pytest_twisted.ensureDeferred
async def test_unknown_key(launcher):
    gw = launcher.install()
    gw.write_config('// JSON5 is fine\n{gateway: {mode: "local", bogusKey: 1,},}')
    code, out, err = await _refused(launcher, gw, "gateway")
    assert code == EX_CONFIG
    first, *issues = err.splitlines()
    assert first == f"Gateway failed to start: Invalid config at {gw.configPath}:"
    assert len(issues) == 1 and re.search(r"\bgateway\b", issues[0]) and '"bogusKey"' in issues[0], err


@pytest_twisted.ensureDeferred
async def test_lan_bind_without_auth(launcher, ports):
    gw = launcher.install()
    gw.write_config({"gateway": {"mode": "local"}})
    port = ports.reserve()
    code, out, err = await _refused(launcher, gw, "gateway", "--bind", "lan", "--port", str(port))
    assert code == EX_CONFIG
    assert (
        f"Gateway failed to start: refusing to bind gateway to 0.0.0.0:{port} without auth "
        "(set gateway.auth.token/password, or set OPENCLAW_GATEWAY_TOKEN/OPENCLAW_GATEWAY_PASSWORD; "
        "legacy CLAWDBOT_* and MOLTBOT_* environment variables are ignored). "
        "Run openclaw gateway status --deep for diagnostics.\n"
    ) in err
    assert err.startswith(
        "Refusing to bind gateway to lan without auth.\n"
        "Set gateway.auth.token/password (or OPENCLAW_GATEWAY_TOKEN/OPENCLAW_GATEWAY_PASSWORD) "
        "or pass --token/--password.\n"
    )
    # No token was generated and persisted for a refused start.
    assert gw.read_config()["gateway"] == {"mode": "local"}
