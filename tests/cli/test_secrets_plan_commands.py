"""`openclaw secrets apply` and `configure` in-process; audit of auth-profile stores."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from openclaw.cli import secrets as cli
from openclaw.cli.secrets_configure import NO_TTY, Planner, Prompter, suggested_id, Plaintext
from openclaw.config.secretsapply import EXEC_CONSENT
from openclaw.paths import Paths
from tests.conftest import write_config

PLAIN = "sk-plaintext-model-key-0123456789abcdef"
TOKEN = "gateway-token-plaintext-0123456789ab"
REF = {"source": "env", "provider": "default", "id": "MODEL_KEY"}


def _run(capsys, environ, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv), environ)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def install(environ, home):
    write_config(environ, {"gateway": {"mode": "local", "auth": {"token": TOKEN}},
                           "models": {"providers": {"local": {"baseUrl": "http://127.0.0.1:9/v1", "apiKey": PLAIN}}}})
    environ["MODEL_KEY"] = PLAIN
    return home


def _plan_file(tmp_path, *targets, **extra) -> str:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"version": 1, "protocolVersion": 1, "targets": list(targets), **extra}))
    return str(path)


TARGET = {"type": "models.providers.apiKey", "path": "models.providers.local.apiKey", "providerId": "local", "ref": REF}


def test_apply_dry_run_then_apply(capsys, environ, install, tmp_path):
    plan = _plan_file(tmp_path, TARGET)
    config = environ["OPENCLAW_CONFIG_PATH"]
    before = Path(config).read_text()
    code, out, err = _run(capsys, environ, "apply", "--from", plan, "--dry-run")
    assert code == 0, err
    assert out.splitlines() == [
        "Secrets apply dry run: the plan is valid. targets=1, providerUpserts=0, providerDeletes=0.",
        "Preflight: 1 ref(s) resolved.",
        "Would change:",
        f"  {config} (config)",
        "Nothing was written.",
    ]
    assert Path(config).read_text() == before
    code, out, err = _run(capsys, environ, "apply", "--from", plan)
    assert code == 0, err
    assert out.splitlines()[0] == "Secrets applied. targets=1, providerUpserts=0, providerDeletes=0."
    assert out.splitlines()[-1].startswith("Next: openclaw secrets audit --check, then openclaw secrets reload")
    assert json.loads(Path(config).read_text())["models"]["providers"]["local"]["apiKey"] == REF
    code, out, _ = _run(capsys, environ, "apply", "--from", plan, "--json")
    assert code == 0 and json.loads(out) == {
        "ok": True, "mode": "write", "changed": False, "changedFiles": [], "targets": 1, "providerUpserts": 0,
        "providerDeletes": 0, "preflight": {"refsChecked": 1, "skippedExecRefs": 0}, "warnings": [],
    }
    assert PLAIN not in out


def test_apply_refusals_are_errors_with_exit_1(capsys, environ, install, tmp_path):
    code, _, err = _run(capsys, environ, "apply")
    assert code == 1 and err.startswith("--from <plan.json> is required")
    bad = _plan_file(tmp_path, {**TARGET, "path": "models.providers.local.baseUrl"})
    code, out, _ = _run(capsys, environ, "apply", "--from", bad, "--json")
    assert code == 1 and json.loads(out) == {"ok": False, "error": {
        "type": "cli_error", "message": "Invalid plan target path for models.providers.apiKey: models.providers.local.baseUrl"}}
    execPlan = _plan_file(tmp_path, {**TARGET, "ref": {"source": "exec", "provider": "vault", "id": "k"}})
    code, _, err = _run(capsys, environ, "apply", "--from", execPlan)
    assert code == 1 and err == EXEC_CONSENT + "\n"
    missing = _plan_file(tmp_path, {**TARGET, "ref": {**REF, "id": "NOT_SET"}})
    code, _, err = _run(capsys, environ, "apply", "--from", missing)
    assert code == 1 and err == (
        "Secrets apply failed: Preflight failed: models.providers.local.apiKey (env:default:NOT_SET): "
        "environment variable NOT_SET is missing or empty\n"
    )
    code, _, err = _run(capsys, environ, "apply", "--from", str(tmp_path / "nope.json"))
    assert code == 1 and err == f"Plan file not found: {tmp_path / 'nope.json'}\n"


def test_configure_needs_a_terminal(capsys, environ, install, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    code, out, err = _run(capsys, environ, "configure")
    assert code == 1 and err == NO_TTY + "\n" and out == ""
    code, out, _ = _run(capsys, environ, "configure", "--json")
    assert code == 1 and json.loads(out)["error"]["message"] == NO_TTY
    code, _, err = _run(capsys, environ, "configure", "--providers-only", "--skip-provider-setup")
    assert code == 1 and err.startswith("--providers-only and --skip-provider-setup cannot be used together")
    code, _, err = _run(capsys, environ, "configure", "--agent", "../main")
    assert code == 1 and err.startswith("--agent: invalid agent id '../main' (expected [a-z0-9][a-z0-9_-]{0,63})")


OPTIONS = {"skip-provider-setup": False, "providers-only": False, "agent": None}


def _planner(environ, config, answers: list[str], **options):
    out = io.StringIO()
    prompter = Prompter(io.StringIO("".join(a + "\n" for a in answers)), out)
    return Planner(prompter, config, Paths.fromEnvironment(environ), {**OPTIONS, **options}), out


def test_the_planner_maps_plaintext_fields_and_sets_up_providers(environ, home):
    state = Path(environ["OPENCLAW_STATE_DIR"])
    store = state / "agents" / "main" / "agent" / "auth-profiles.json"
    store.parent.mkdir(parents=True)
    store.write_text(json.dumps({"version": 1, "profiles": {"openai:default": {"type": "api_key", "provider": "openai", "key": PLAIN}}}))
    config = {"gateway": {"auth": {"token": TOKEN}}, "models": {"providers": {"local": {"apiKey": PLAIN}, "env": {"apiKey": "${X_KEY}"}}}}
    answers = [
        "y", "vault", "", "/srv/secrets.json", "", "n",   # a file provider (the defaults: file, json)
        "n",                                               # gateway.auth.token stays
        "", "file", "", "",                                # models.providers.local.apiKey → file:vault:/models/providers/local/apiKey
        "", "", "", "",                                    # the auth profile → env:default:AGENTS_MAIN_PROFILES_OPENAI_DEFAULT_KEY
    ]
    planner, out = _planner(environ, config, answers)
    plan = planner.run()
    assert plan.providerUpserts == {"vault": {"source": "file", "path": "/srv/secrets.json"}}
    assert [(t.path, t.ref.label, t.agentId) for t in plan.targets] == [
        ("models.providers.local.apiKey", "file:vault:/models/providers/local/apiKey", None),
        ("profiles.openai:default.key", "env:default:AGENTS_MAIN_PROFILES_OPENAI_DEFAULT_KEY", "main"),
    ]
    text = out.getvalue()
    assert "gateway.auth.token holds a plaintext value." in text and "models.providers.env" not in text
    assert PLAIN not in text and TOKEN not in text


def test_the_planner_asks_again_after_a_bad_answer(environ):
    config = {"models": {"providers": {"openai": {"apiKey": PLAIN}}}}
    planner, out = _planner(environ, config, ["", "vault", "env", "", "lower_case", "", "", ""], **{"skip-provider-setup": True})
    plan = planner.run()
    assert plan.targets[0].ref.label == "env:default:OPENAI_API_KEY"
    assert "Please answer env or file or exec." in out.getvalue()
    assert "Invalid ref: env id must be a variable name" in out.getvalue()


def test_suggested_ids():
    field = Plaintext("models.providers.openai.apiKey", "models.providers.apiKey", providerId="openai")
    assert suggested_id(field, "env") == "OPENAI_API_KEY"
    assert suggested_id(field, "file") == "/models/providers/openai/apiKey"
    assert suggested_id(Plaintext("profiles.a/b~c.key", "auth-profiles.api_key.key", agentId="main"), "file") == (
        "/agents/main/profiles/a~1b~0c/key"
    )
    assert suggested_id(field, "exec") == "models/providers/openai/apiKey"


def test_audit_counts_ref_only_auth_profiles_and_flags_their_plaintext(capsys, environ, home):
    write_config(environ, {"gateway": {"mode": "local", "auth": {"token": {"source": "env", "provider": "default", "id": "GW"}}}})
    environ["GW"] = TOKEN
    agentDir = Path(environ["OPENCLAW_STATE_DIR"]) / "agents" / "main" / "agent"
    agentDir.mkdir(parents=True)
    store = agentDir / "auth-profiles.json"
    store.write_text(json.dumps({"version": 1, "profiles": {
        "openai:default": {"type": "api_key", "provider": "openai", "keyRef": {**REF, "id": "OPENAI_KEY"}},
        "anthropic:ci": {"type": "token", "provider": "anthropic", "token": PLAIN},
    }}))
    (agentDir / "auth.json").write_text(json.dumps({"openai": {"type": "api_key", "key": PLAIN}}))
    code, out, _ = _run(capsys, environ, "audit", "--json")
    report = json.loads(out)
    assert code == 2 and PLAIN not in out
    assert report["summary"] == {"plaintextCount": 1, "unresolvedRefCount": 1, "shadowedRefCount": 0, "legacyResidueCount": 1}
    assert [(f["code"], f["file"], f["jsonPath"]) for f in report["findings"]] == [
        ("PLAINTEXT_FOUND", str(store), "profiles.anthropic:ci.token"),
        ("LEGACY_RESIDUE", str(agentDir / "auth.json"), "openai"),
        ("REF_UNRESOLVED", str(store), "profiles.openai:default.keyRef"),
    ]
    environ["OPENAI_KEY"] = PLAIN  # the ref-only entry resolves: it counts as checked, no finding
    os.unlink(agentDir / "auth.json")
    store.write_text(json.dumps({"version": 1, "profiles": {"openai:default": {"type": "api_key", "provider": "openai", "keyRef": {**REF, "id": "OPENAI_KEY"}}}}))
    code, out, _ = _run(capsys, environ, "audit", "--check", "--json")
    assert code == 0 and json.loads(out)["resolution"]["refsChecked"] == 2


def test_configure_saves_the_plan_but_applies_nothing_when_its_preflight_fails(capsys, environ, install, tmp_path):
    from openclaw.cli.secrets_configure import ConfigureOptions, _configure

    options = ConfigureOptions()
    options.parseOptions(["--skip-provider-setup", "--plan-out", str(tmp_path / "plan.json"), "--apply", "--yes", "--json"])
    answers = ["n", "", "", "", "LATER_KEY"]  # the gateway token stays; the model key → env:default:LATER_KEY (unset)
    out = io.StringIO()
    before = Path(environ["OPENCLAW_CONFIG_PATH"]).read_text()
    code = _configure(options, environ, Prompter(io.StringIO("".join(a + "\n" for a in answers)), out))
    result = json.loads(capsys.readouterr().out)
    assert code == 1 and result["ok"] is False and result["applied"] is False
    assert result["preflightError"] == (
        "Secrets apply failed: Preflight failed: models.providers.local.apiKey (env:default:LATER_KEY): "
        "environment variable LATER_KEY is missing or empty"
    )
    assert json.loads((tmp_path / "plan.json").read_text()) == result["plan"]
    assert result["plan"]["targets"][0]["ref"] == {"source": "env", "provider": "default", "id": "LATER_KEY"}
    assert Path(environ["OPENCLAW_CONFIG_PATH"]).read_text() == before
    assert "Preflight failed" in out.getvalue() and PLAIN not in out.getvalue()


def test_plaintext_fields_of_one_agent(environ, home):
    from openclaw.cli.secrets_configure import plaintext_fields

    state = Path(environ["OPENCLAW_STATE_DIR"])
    for agentId in ("main", "ops"):
        store = state / "agents" / agentId / "agent" / "auth-profiles.json"
        store.parent.mkdir(parents=True)
        store.write_text(json.dumps({"version": 1, "profiles": {"p": {"type": "token", "provider": "x", "token": PLAIN}}}))
    paths = Paths.fromEnvironment(environ)
    assert [(f.agentId, f.path) for f in plaintext_fields({}, paths, None)] == [("main", "profiles.p.token"), ("ops", "profiles.p.token")]
    assert [(f.agentId, f.typeName) for f in plaintext_fields({}, paths, "ops")] == [("ops", "auth-profiles.token.token")]
