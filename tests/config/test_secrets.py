"""SecretRef resolution: env, file and exec providers, active surfaces, one immutable snapshot."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from openclaw.config.secrets import (
    REDACTED,
    SecretResolutionError,
    as_ref,
    redact_config,
    resolve_secrets,
)

SECRET = "s3cret-value-that-must-never-show-0123"


def _token_ref(source: str, provider: str, id_: str) -> dict:
    return {"gateway": {"mode": "local", "auth": {"token": {"source": source, "provider": provider, "id": id_}}}}


def _with_providers(config: dict, **providers) -> dict:
    config["secrets"] = {"providers": providers}
    return config


def _private(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def _resolve_error(config: dict, environ: dict | None = None) -> str:
    with pytest.raises(SecretResolutionError) as caught:
        resolve_secrets(config, environ or {})
    message = str(caught.value)
    assert SECRET not in message
    return message


# env ---------------------------------------------------------------------------


def test_env_ref_resolves_from_the_environment_without_a_provider_entry():
    snapshot = resolve_secrets(_token_ref("env", "default", "GW_TOKEN"), {"GW_TOKEN": SECRET})
    assert snapshot.get("gateway.auth.token") == SECRET
    assert SECRET not in repr(snapshot)


def test_env_ref_missing_variable_and_allowlist():
    assert _resolve_error(_token_ref("env", "default", "GW_TOKEN")) == (
        "gateway.auth.token could not be resolved (environment variable GW_TOKEN is missing or empty)"
    )
    config = _with_providers(_token_ref("env", "default", "GW_TOKEN"), default={"source": "env", "allowlist": ["OTHER"]})
    assert "not in the provider allowlist" in _resolve_error(config, {"GW_TOKEN": SECRET})


def test_unknown_provider_and_wrong_source():
    assert _resolve_error(_token_ref("file", "vault", "/x")) == 'gateway.auth.token could not be resolved (provider "vault" is not configured)'
    config = _with_providers(_token_ref("file", "vault", "/x"), vault={"source": "exec", "command": "/bin/true"})
    assert _resolve_error(config) == 'gateway.auth.token could not be resolved (provider "vault" is not a file provider)'


# file --------------------------------------------------------------------------


def test_file_provider_json_pointer_with_escapes(tmp_path):
    secrets = _private(tmp_path / "secrets.json", json.dumps({"gateway": {"a/b~c": SECRET}}))
    config = _with_providers(
        _token_ref("file", "filemain", "/gateway/a~1b~0c"), filemain={"source": "file", "path": str(secrets)}
    )
    assert resolve_secrets(config, {}).get("gateway.auth.token") == SECRET


def test_file_provider_single_value_strips_the_newline(tmp_path):
    secrets = _private(tmp_path / "token.txt", SECRET + "\n")
    config = _with_providers(
        _token_ref("file", "one", "value"), one={"source": "file", "path": str(secrets), "mode": "singleValue"}
    )
    assert resolve_secrets(config, {}).get("gateway.auth.token") == SECRET
    config["gateway"]["auth"]["token"]["id"] = "/other"
    assert 'the id must be "value"' in _resolve_error(config)


def test_file_provider_refuses_readable_files_and_symlinks(tmp_path):
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"t": SECRET}))
    secrets.chmod(0o644)
    config = _with_providers(_token_ref("file", "f", "/t"), f={"source": "file", "path": str(secrets)})
    assert "must not be readable or writable by group or others (chmod 600)" in _resolve_error(config)
    secrets.chmod(0o600)
    link = tmp_path / "link.json"
    link.symlink_to(secrets)
    config["secrets"]["providers"]["f"]["path"] = str(link)
    assert "is a symlink" in _resolve_error(config)
    config["secrets"]["providers"]["f"]["allowInsecurePath"] = True
    assert resolve_secrets(config, {}).get("gateway.auth.token") == SECRET


def test_file_provider_missing_pointer_and_tilde_path(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    _private(home / "s.json", json.dumps({"t": SECRET}))
    config = _with_providers(_token_ref("file", "f", "/nope"), f={"source": "file", "path": "~/s.json"})
    assert _resolve_error(config, {"HOME": str(home)}) == 'gateway.auth.token could not be resolved (file secret /nope not found)'
    config["gateway"]["auth"]["token"]["id"] = "/t"
    assert resolve_secrets(config, {"HOME": str(home)}).get("gateway.auth.token") == SECRET


# exec --------------------------------------------------------------------------


def _exec_script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "provider.py"
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\n{body}\n")
    script.chmod(0o700)
    return script


ECHO_PROVIDER = """
request = json.loads(sys.stdin.read())
assert request["protocolVersion"] == 1 and request["provider"] == "vault"
values = {i: "value-of-" + i + os.environ.get("SUFFIX", "") for i in request["ids"] if i != "missing"}
errors = {"missing": {"code": "NOT_FOUND", "message": "leaky detail"}}
print(json.dumps({"protocolVersion": 1, "values": values, "errors": errors}))
"""


def test_exec_provider_batches_ids_and_passes_only_chosen_env(tmp_path):
    script = _exec_script(tmp_path, ECHO_PROVIDER)
    config = _with_providers(
        _token_ref("exec", "vault", "gw/token"),
        vault={"source": "exec", "command": str(script), "passEnv": ["SUFFIX"], "env": {"EXTRA": "1"}},
    )
    config["gateway"]["auth"]["mode"] = "password"
    config["gateway"]["auth"]["password"] = {"source": "exec", "provider": "vault", "id": "gw/password"}
    config["gateway"]["auth"].pop("token")
    snapshot = resolve_secrets(config, {"SUFFIX": "-x", "NOT_PASSED": "y"})
    assert snapshot.get("gateway.auth.password") == "value-of-gw/password-x"


def test_exec_provider_per_id_errors_show_only_known_codes(tmp_path):
    script = _exec_script(tmp_path, ECHO_PROVIDER)
    config = _with_providers(_token_ref("exec", "vault", "missing"), vault={"source": "exec", "command": str(script)})
    message = _resolve_error(config)
    assert message == 'gateway.auth.token could not be resolved (exec provider "vault" has no value for missing (NOT_FOUND))'


def test_exec_provider_runs_without_a_shell(tmp_path):
    marker = tmp_path / "pwned"
    script = _exec_script(tmp_path, "print(json.dumps({'protocolVersion': 1, 'values': {'a': sys.argv[1]}}))")
    config = _with_providers(
        _token_ref("exec", "vault", "a"),
        vault={"source": "exec", "command": str(script), "args": [f"x; touch {marker}"]},
    )
    assert resolve_secrets(config, {}).get("gateway.auth.token") == f"x; touch {marker}"
    assert not marker.exists()


def test_exec_provider_timeout_exit_status_and_bad_output(tmp_path):
    slow = _exec_script(tmp_path, "import time; time.sleep(5)")
    config = _with_providers(_token_ref("exec", "vault", "a"), vault={"source": "exec", "command": str(slow), "timeoutMs": 200})
    assert _resolve_error(config) == 'gateway.auth.token could not be resolved (exec provider "vault" timed out after 200ms)'
    del config["secrets"]["providers"]["vault"]["timeoutMs"]  # a busy machine starts Python slower than 200 ms
    failing = _exec_script(tmp_path, f"sys.stderr.write({SECRET!r}); sys.exit(3)")
    config["secrets"]["providers"]["vault"]["command"] = str(failing)
    assert _resolve_error(config) == 'gateway.auth.token could not be resolved (exec provider "vault" exited with status 3)'
    plain = _exec_script(tmp_path, f"print({SECRET!r})")
    config["secrets"]["providers"]["vault"]["command"] = str(plain)
    assert "did not answer with a JSON object" in _resolve_error(config)
    config["secrets"]["providers"]["vault"]["jsonOnly"] = False
    assert resolve_secrets(config, {}).get("gateway.auth.token") == SECRET


def test_exec_provider_command_must_be_absolute_and_not_writable_by_others(tmp_path):
    config = _with_providers(_token_ref("exec", "vault", "a"), vault={"source": "exec", "command": "provider.py"})
    assert "needs an absolute command path" in _resolve_error(config)
    script = _exec_script(tmp_path, "pass")
    script.chmod(0o722)
    config["secrets"]["providers"]["vault"]["command"] = str(script)
    assert "is writable by group or others" in _resolve_error(config)


def test_exec_ids_with_dot_segments_are_refused(tmp_path):
    script = _exec_script(tmp_path, ECHO_PROVIDER)
    config = _with_providers(_token_ref("exec", "vault", "a/../b"), vault={"source": "exec", "command": str(script)})
    assert 'invalid exec secret id "a/../b"' in _resolve_error(config)


# active surfaces -----------------------------------------------------------------


def test_inactive_surfaces_are_skipped_with_a_diagnostic():
    config = _token_ref("file", "missing", "/x")
    snapshot = resolve_secrets(config, {"OPENCLAW_GATEWAY_TOKEN": "env-wins"})
    assert snapshot.inactive == ("gateway.auth.token",)
    assert snapshot.warnings == (
        "SECRETS_REF_IGNORED_INACTIVE_SURFACE: gateway.auth.token (OPENCLAW_GATEWAY_TOKEN is set)",
    )
    remote = {"gateway": {"mode": "local", "remote": {"token": {"source": "env", "provider": "default", "id": "NOPE"}}}}
    assert resolve_secrets(remote, {}).inactive == ("gateway.remote.token",)
    remote["gateway"]["remote"]["url"] = "wss://gw.example"
    assert "NOPE is missing" in _resolve_error(remote)
    channel = {"channels": {"telegram": {"enabled": False, "botToken": {"source": "env", "provider": "default", "id": "TG"}}}}
    assert resolve_secrets(channel, {}).inactive == ("channels.telegram.botToken",)


def test_the_snapshot_is_immutable():
    snapshot = resolve_secrets(_token_ref("env", "default", "GW_TOKEN"), {"GW_TOKEN": SECRET})
    with pytest.raises(TypeError):
        snapshot.values["gateway.auth.token"] = "changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        snapshot.values = {}  # type: ignore[misc]


def test_as_ref_and_redaction():
    ref = {"source": "env", "provider": "default", "id": "X"}
    assert as_ref(ref).label == "env:default:X"
    assert as_ref({"source": "vault", "provider": "p", "id": "x"}) is None
    config = {"gateway": {"auth": {"token": SECRET, "password": ref}}, "models": {"providers": {"o": {"apiKey": SECRET}}}}
    redacted = redact_config(config)
    assert redacted["gateway"]["auth"] == {"token": REDACTED, "password": ref}
    assert redacted["models"]["providers"]["o"]["apiKey"] == REDACTED
    assert SECRET not in json.dumps(redacted)
    assert config["gateway"]["auth"]["token"] == SECRET  # a copy


def test_redaction_covers_the_credential_surface_and_snake_case_keys():
    config = {
        "models": {"providers": {"o": {"headers": {"Authorization": SECRET}}}},
        "channels": {"g": {"accounts": {"a": {"serviceAccount": {"nested": {"x": SECRET}, "n": [SECRET]}}}}},
        "tools": {"x": {"private_key": SECRET, "api-key": SECRET, "max_tokens": 5}},
    }
    redacted = redact_config(config)
    assert SECRET not in json.dumps(redacted)
    assert redacted["tools"]["x"]["max_tokens"] == 5
    assert redacted["channels"]["g"]["accounts"]["a"]["serviceAccount"] == {"nested": {"x": REDACTED}, "n": [REDACTED]}


def test_file_provider_is_read_once_per_resolution(tmp_path):
    """Resolution reads the source; the snapshot it returns never reads again."""
    secrets = _private(tmp_path / "s.json", json.dumps({"t": SECRET}))
    config = _with_providers(_token_ref("file", "f", "/t"), f={"source": "file", "path": str(secrets)})
    snapshot = resolve_secrets(config, {})
    os.unlink(secrets)
    assert snapshot.get("gateway.auth.token") == SECRET
