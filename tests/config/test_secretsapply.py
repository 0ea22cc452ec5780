"""Applying a secrets plan: what it writes, what it scrubs, and what stops it before any write."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from openclaw.config import secretsapply
from openclaw.config.secretsapply import EXEC_CONSENT, ApplyError, apply_plan
from openclaw.config.secretsplan import PlanError, parse_plan
from openclaw.paths import Paths
from openclaw.settings import offline_check

OPENAI = "sk-openai-plaintext-5f1e2d3c4b5a69788796"
LOCAL = "sk-local-plaintext-0a1b2c3d4e5f60718293"
OTHER = "sk-anthropic-profile-9f8e7d6c5b4a3928"
TOKEN = "gateway-token-0123456789abcdef0123"

ENV_REF = {"source": "env", "provider": "default", "id": "OPENAI_KEY"}
FILE_REF = {"source": "file", "provider": "vault", "id": "/models/local"}


class Install:
    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.state = tmp_path / "state"
        self.state.mkdir()
        self.config = self.state / "openclaw.json"
        self.secrets = tmp_path / "secrets.json"
        self.environ = {
            "HOME": str(tmp_path),
            "OPENCLAW_STATE_DIR": str(self.state),
            "OPENCLAW_CONFIG_PATH": str(self.config),
            "OPENAI_KEY": OPENAI,
        }
        self.paths = Paths.fromEnvironment(self.environ)
        self.write_config(
            {
                "gateway": {"mode": "local", "auth": {"token": TOKEN}},
                "models": {"providers": {"openai": {"apiKey": OPENAI}, "local": {"baseUrl": "http://127.0.0.1:9/v1", "apiKey": LOCAL}}},
            }
        )
        self.secrets.write_text(json.dumps({"models": {"local": LOCAL}}))
        os.chmod(self.secrets, 0o600)

    def write_config(self, config) -> None:
        self.config.write_text(json.dumps(config))

    def read_config(self):
        return json.loads(self.config.read_text())

    def store(self, agentId: str = "main") -> Path:
        path = self.state / "agents" / agentId / "agent" / "auth-profiles.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def apply(self, document, **kwargs):
        def activate(source, environ):
            return offline_check(environ, self.paths)(source)

        return apply_plan(parse_plan(document), self.paths, self.environ, str(self.root), activate, **kwargs)

    def snapshot(self) -> dict[str, bytes]:
        return {str(p): p.read_bytes() for p in self.root.rglob("*") if p.is_file()}

    def leftovers(self) -> list[str]:
        return [p.name for p in self.root.rglob(".openclaw-*.tmp")]


@pytest.fixture
def install(tmp_path):
    return Install(tmp_path)


def plan(*targets, **extra):
    return {"version": 1, "protocolVersion": 1, "targets": list(targets), **extra}


def model_target(provider: str, ref) -> dict:
    return {"type": "models.providers.apiKey", "path": f"models.providers.{provider}.apiKey", "providerId": provider, "ref": ref}


def upserts(install) -> dict:
    return {"vault": {"source": "file", "path": str(install.secrets)}}


def test_apply_moves_the_keys_to_refs_and_leaves_no_plaintext_anywhere(install):
    (install.state / ".env").write_text(f"# keys\nOPENAI_LEGACY={OPENAI}\nHARMLESS=1\nLOCAL_KEY='{LOCAL}'\n")
    install.store().write_text(json.dumps({"version": 1, "profiles": {
        "openai:default": {"type": "api_key", "provider": "openai", "key": OPENAI},
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": OTHER},
    }}))
    (install.store().parent / "auth.json").write_text(json.dumps({"openai": {"type": "api_key", "key": OPENAI}}))
    Path(str(install.config) + ".bak").write_text(install.config.read_text())

    result = install.apply(plan(model_target("openai", ENV_REF), model_target("local", FILE_REF),
                                providerUpserts=upserts(install), scrubLegacyAuthJson=True))

    config = install.read_config()
    assert config["models"]["providers"]["openai"]["apiKey"] == ENV_REF
    assert config["models"]["providers"]["local"] == {"baseUrl": "http://127.0.0.1:9/v1", "apiKey": FILE_REF}
    assert config["secrets"]["providers"]["vault"] == {"source": "file", "path": str(install.secrets)}
    assert config["gateway"]["auth"]["token"] == TOKEN  # not in the plan: untouched
    assert (install.state / ".env").read_text() == "# keys\nHARMLESS=1\n"
    assert json.loads(install.store().read_text())["profiles"] == {
        "anthropic:default": {"type": "api_key", "provider": "anthropic", "key": OTHER}
    }
    assert json.loads((install.store().parent / "auth.json").read_text()) == {}
    assert not os.path.exists(str(install.config) + ".bak")
    assert [(Path(c.path).name, c.kind) for c in result.changes] == [
        ("openclaw.json", "config"), ("auth-profiles.json", "auth-profiles"), ("auth.json", "legacy-auth"),
        (".env", "dotenv"), ("openclaw.json.bak", "backup"),
    ]
    assert result.refsChecked == 2 and result.skippedExecRefs == 0
    assert result.warnings == (f"{install.config}.bak held a migrated plaintext value and is removed",)
    for path, data in install.snapshot().items():
        if path != str(install.secrets):
            assert OPENAI.encode() not in data and LOCAL.encode() not in data, path
    assert install.leftovers() == []
    for c in result.changes:
        if c.new is not None:
            assert stat.S_IMODE(os.stat(c.path).st_mode) == 0o600


def test_a_dry_run_checks_everything_and_writes_nothing(install):
    (install.state / ".env").write_text(f"LOCAL_KEY={LOCAL}\n")
    before = install.snapshot()
    target = {"type": "auth-profiles.api_key.key", "path": "profiles.local.key", "agentId": "new", "authProfileProvider": "local", "ref": FILE_REF}
    result = install.apply(plan(model_target("local", FILE_REF), target, providerUpserts=upserts(install)), dryRun=True)
    assert result.dryRun and [c.kind for c in result.changes] == ["config", "auth-profiles", "dotenv"]
    assert install.snapshot() == before and install.leftovers() == []
    assert not (install.state / "agents").exists()


def test_provider_upserts_and_deletes_come_before_the_targets(install):
    install.write_config({**install.read_config(), "secrets": {"providers": {"vault": {"source": "file", "path": "/nowhere"}}}})
    # the upsert replaces the broken provider before the target's ref is resolved
    install.apply(plan(model_target("local", FILE_REF), providerUpserts=upserts(install)))
    assert install.read_config()["models"]["providers"]["local"]["apiKey"] == FILE_REF
    before = install.snapshot()
    with pytest.raises(ApplyError) as refused:
        install.apply(plan(model_target("openai", {**FILE_REF, "id": "/models/local"}), providerDeletes=["vault"]))
    assert str(refused.value) == (
        'Preflight failed: models.providers.openai.apiKey (file:vault:/models/local): provider "vault" is not configured'
    )
    assert install.snapshot() == before


def test_a_ref_that_does_not_resolve_stops_the_apply_before_any_write(install):
    (install.state / ".env").write_text(f"OPENAI_LEGACY={OPENAI}\n")
    before = install.snapshot()
    with pytest.raises(ApplyError) as refused:
        install.apply(plan(model_target("openai", {**ENV_REF, "id": "MISSING_KEY"})))
    assert str(refused.value) == (
        "Preflight failed: models.providers.openai.apiKey (env:default:MISSING_KEY): "
        "environment variable MISSING_KEY is missing or empty"
    )
    assert OPENAI not in str(refused.value)
    assert install.snapshot() == before and install.leftovers() == []


def test_the_scrub_keeps_the_variable_an_env_ref_reads(install):
    del install.environ["OPENAI_KEY"]
    (install.state / ".env").write_text(f"OPENAI_KEY={OPENAI}\nOPENAI_OLD={OPENAI}\n")
    install.apply(plan(model_target("openai", ENV_REF)))
    assert (install.state / ".env").read_text() == f"OPENAI_KEY={OPENAI}\n"


def test_the_runtime_activation_check_runs_on_the_new_config(install):
    config = install.read_config()
    del config["gateway"]["mode"]
    install.write_config(config)
    before = install.snapshot()
    with pytest.raises(ApplyError, match="^Runtime activation check failed: Gateway start blocked: existing config is missing gateway.mode"):
        install.apply(plan(model_target("openai", ENV_REF)))
    assert install.snapshot() == before


def test_the_activation_check_sees_the_environment_after_the_scrub(install):
    # a ${VAR} elsewhere in the config reads a .env variable the scrub removes: refused
    config = install.read_config()
    config["gateway"]["auth"]["token"] = "${GW_TOKEN}"
    install.write_config(config)
    (install.state / ".env").write_text(f"GW_TOKEN={OPENAI}\n")
    with pytest.raises(ApplyError, match=r"^gateway\.auth\.token: missing environment variable GW_TOKEN$"):
        install.apply(plan(model_target("openai", ENV_REF)))


def test_a_new_config_the_schema_refuses_is_not_written(install):
    config = install.read_config()
    config["gateway"]["port"] = "18789"
    install.write_config(config)
    before = install.snapshot()
    with pytest.raises(ApplyError, match="^gateway.port: expected integer, got string$"):
        install.apply(plan(model_target("openai", ENV_REF)))
    assert install.snapshot() == before and install.leftovers() == []


def test_exec_refs_need_consent(install, tmp_path):
    script = tmp_path / "vault.py"
    script.write_text(
        "#!/usr/bin/env python3\nimport json,sys\nreq=json.load(sys.stdin)\n"
        f"print(json.dumps({{'protocolVersion':1,'values':{{i:{OPENAI!r} for i in req['ids']}}}}))\n"
    )
    os.chmod(script, 0o700)
    document = plan(model_target("openai", {"source": "exec", "provider": "vault", "id": "openai/key"}),
                    providerUpserts={"vault": {"source": "exec", "command": str(script), "passEnv": ["PATH"]}})
    install.environ["PATH"] = os.environ["PATH"]
    before = install.snapshot()
    with pytest.raises(PlanError, match=f"^{EXEC_CONSENT}$"):
        install.apply(document)
    dry = install.apply(document, dryRun=True)
    assert (dry.refsChecked, dry.skippedExecRefs) == (0, 1)
    assert install.snapshot() == before
    done = install.apply(document, allowExec=True)
    assert done.refsChecked == 1
    assert install.read_config()["models"]["providers"]["openai"]["apiKey"]["source"] == "exec"


def test_auth_profile_targets(install):
    install.store().write_text(json.dumps({"version": 1, "profiles": {
        "openai:default": {"type": "api_key", "provider": "openai", "key": OPENAI},
        "openai:oauth": {"type": "oauth", "provider": "openai", "access": "x"},
    }}))
    target = {"type": "auth-profiles.api_key.key", "path": "profiles.openai:default.key", "agentId": "main", "ref": ENV_REF}
    install.apply(plan(target))
    assert json.loads(install.store().read_text())["profiles"]["openai:default"] == {
        "type": "api_key", "provider": "openai", "keyRef": ENV_REF,
    }
    # a new ref-only profile needs its provider
    new = {"type": "auth-profiles.token.token", "path": "profiles.anthropic:ci.token", "agentId": "ops", "ref": ENV_REF}
    with pytest.raises(PlanError, match='^Plan target profiles.anthropic:ci.token \\(agent ops\\) creates auth profile "anthropic:ci": authProfileProvider is required$'):
        install.apply(plan(new))
    install.apply(plan({**new, "authProfileProvider": "anthropic"}))
    assert json.loads(install.store("ops").read_text()) == {
        "version": 1, "profiles": {"anthropic:ci": {"type": "token", "provider": "anthropic", "tokenRef": ENV_REF}},
    }
    oauth = {"type": "auth-profiles.api_key.key", "path": "profiles.openai:oauth.key", "agentId": "main", "ref": ENV_REF}
    with pytest.raises(PlanError, match='auth profile "openai:oauth" is of type oauth, auth-profiles.api_key.key needs type api_key$'):
        install.apply(plan(oauth))
    wrong = {**target, "authProfileProvider": "anthropic"}
    with pytest.raises(PlanError, match='auth profile "openai:default" belongs to provider "openai", not "anthropic"$'):
        install.apply(plan(wrong))


def test_a_target_inside_an_include_is_refused(install):
    (install.state / "models.json5").write_text(json.dumps({"providers": {"openai": {"apiKey": OPENAI}}}))
    config = install.read_config()
    config["models"] = {"$include": "./models.json5"}
    install.write_config(config)
    with pytest.raises(ApplyError, match=r"^Plan target models.providers.openai.apiKey comes from an \$include \(at models\); edit the included file instead$"):
        install.apply(plan(model_target("openai", ENV_REF)))


def test_a_failed_rename_puts_back_the_files_already_replaced(install, monkeypatch):
    (install.state / ".env").write_text(f"LEGACY={OPENAI}\n")
    before = install.snapshot()
    real = os.replace
    calls = []

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(secretsapply.os, "replace", failing)
    with pytest.raises(ApplyError) as failed:
        install.apply(plan(model_target("openai", ENV_REF)))
    assert str(failed.value) == (
        f"Apply failed while replacing {install.state / '.env'}: No space left on device; "
        "restored 1 of 1 file(s) already replaced"
    )
    monkeypatch.undo()
    assert install.snapshot() == before and install.leftovers() == []


def test_without_a_config_nothing_is_created(install):
    install.config.unlink()
    with pytest.raises(ApplyError, match=f"^Missing config: {install.config} \\(run openclaw setup first\\)$"):
        install.apply(plan(model_target("openai", ENV_REF)))
    assert not install.config.exists() and install.leftovers() == []


def test_temp_files_a_killed_apply_left_are_removed_by_the_next(install):
    agentDir = install.store().parent
    install.store().write_text(json.dumps({"version": 1, "profiles": {"o": {"type": "api_key", "provider": "openai", "key": OPENAI}}}))
    dead = agentDir / ".openclaw-4194000-abcd1234.tmp"  # (a writer pid that is almost surely not running)
    dead.write_text("{}")
    install.apply(plan(model_target("openai", ENV_REF)), dryRun=True)
    assert dead.exists()  # a dry run writes nothing, removes nothing
    install.apply(plan(model_target("openai", ENV_REF)))
    assert not dead.exists()


def test_a_plan_that_does_not_touch_the_config_leaves_it_as_written(install):
    text = "// my gateway\n" + json.dumps(install.read_config())
    install.config.write_text(text)
    install.store().write_text(json.dumps({"version": 1, "profiles": {"o": {"type": "api_key", "provider": "openai", "key": OPENAI}}}))
    result = install.apply(plan({"type": "auth-profiles.api_key.key", "path": "profiles.o.key", "agentId": "main", "ref": ENV_REF}))
    assert [c.kind for c in result.changes] == ["auth-profiles"] and result.warnings == ()
    assert install.config.read_text() == text
    result = install.apply(plan(model_target("openai", ENV_REF)))
    assert result.warnings == (f"{install.config} is rewritten as JSON: its comments are not kept",)
