"""`openclaw secrets audit` (local, read-only) and the command table of `openclaw secrets`."""

from __future__ import annotations

import json
import sys

from openclaw.cli import secrets as cli
from tests.conftest import write_config

PLAIN = "plaintext-secret-value-0123456789abcdef"


def _run(capsys, environ, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv), environ)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_clean_config(capsys, environ, home):
    environ["GW_TOKEN"] = PLAIN
    write_config(environ, {"gateway": {"mode": "local", "auth": {"token": {"source": "env", "provider": "default", "id": "GW_TOKEN"}}}})
    code, out, _ = _run(capsys, environ, "audit", "--check", "--json")
    report = json.loads(out)
    assert code == 0 and report["status"] == "clean"
    assert report["resolution"] == {"refsChecked": 1, "skippedExecRefs": 0, "resolvabilityComplete": True}
    assert PLAIN not in out


def test_plaintext_in_config_and_dotenv_without_printing_values(capsys, environ, home):
    state = home / ".openclaw"
    write_config(environ, {"gateway": {"mode": "local", "auth": {"token": PLAIN}}, "models": {"providers": {"o": {"apiKey": "${OPENAI_KEY}"}}}})
    (state / ".env").write_text(f"OPENAI_API_KEY={PLAIN}\nHARMLESS=1\n")
    environ["OPENAI_KEY"] = PLAIN
    code, out, _ = _run(capsys, environ, "audit")
    assert code == 0 and PLAIN not in out
    lines = out.splitlines()
    assert lines[0] == "Secrets audit: findings. plaintext=2, unresolved=0, shadowed=0, legacy=0."
    assert f"- [PLAINTEXT_FOUND] {environ['OPENCLAW_CONFIG_PATH']}:gateway.auth.token plaintext secret value; use a SecretRef" in lines
    assert f"- [PLAINTEXT_FOUND] {state / '.env'}:OPENAI_API_KEY plaintext secret value in a dotenv file" in lines
    assert _run(capsys, environ, "audit", "--check")[0] == 1


def test_unresolved_and_shadowed_refs(capsys, environ, home):
    ref = {"source": "file", "provider": "vault", "id": "/gw"}
    write_config(environ, {"gateway": {"mode": "local", "auth": {"token": ref}}})
    code, out, _ = _run(capsys, environ, "audit", "--json")
    report = json.loads(out)
    assert code == 2 and report["status"] == "unresolved"
    assert report["findings"] == [
        {
            "code": "REF_UNRESOLVED",
            "file": environ["OPENCLAW_CONFIG_PATH"],
            "jsonPath": "gateway.auth.token",
            "message": 'file:vault:/gw: provider "vault" is not configured',
        }
    ]
    environ["OPENCLAW_GATEWAY_TOKEN"] = PLAIN
    code, out, _ = _run(capsys, environ, "audit", "--json")
    report = json.loads(out)
    assert code == 0 and report["summary"]["shadowedRefCount"] == 1 and PLAIN not in out


def test_exec_refs_are_only_run_with_allow_exec(capsys, environ, home, tmp_path):
    script = tmp_path / "vault.py"
    script.write_text(f"#!{sys.executable}\nimport json\nprint(json.dumps({{'protocolVersion': 1, 'values': {{'gw': {PLAIN!r}}}}}))\n")
    script.chmod(0o700)
    write_config(environ, {
        "gateway": {"mode": "local", "auth": {"token": {"source": "exec", "provider": "vault", "id": "gw"}}},
        "secrets": {"providers": {"vault": {"source": "exec", "command": str(script)}}},
    })
    code, out, _ = _run(capsys, environ, "audit")
    assert code == 0 and "Skipped 1 exec ref(s); pass --allow-exec to check them." in out
    code, out, _ = _run(capsys, environ, "audit", "--allow-exec", "--json")
    assert code == 0 and json.loads(out)["resolution"]["refsChecked"] == 1 and PLAIN not in out


def test_usage_and_unknown_subcommand(capsys, environ):
    assert _run(capsys, environ)[0] == 1
    code, _, err = _run(capsys, environ, "bogus")
    assert code == 1 and "unknown command 'secrets bogus'" in err
    code, out, _ = _run(capsys, environ, "audit", "--bogus", "--json")
    assert code == 1 and json.loads(out)["ok"] is False
