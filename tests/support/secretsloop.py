"""
The steps of the secrets operator loop that the whole-process tests share: running
one CLI command, and answering `openclaw secrets configure --plan-out` in a terminal
(a `file` provider named vault, one key moved to an `env` ref, one to a `file` ref).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.processes import OPENCLAW
from tests.support.terminal import spawn_terminal


async def run_cli(launcher, gw, env, *args: str):
    """(exit code, child) of one `openclaw` command against the installed site C{gw}."""
    child = launcher.openclaw(gw, *args, env=env, name=" ".join(args[:2]))
    code = await child.exited(timeout=60)
    return code, child


async def plan_in_terminal(reactor, launcher, gw, env, plan: Path, vaultFile: Path,
                           envProvider: str, envId: str, fileProvider: str, fileId: str) -> str:
    """
    Answer the planner: add the file provider C{vault} over C{vaultFile}; move
    C{models.providers.<envProvider>.apiKey} to the env ref C{envId} (the suggested id)
    and C{models.providers.<fileProvider>.apiKey} to the vault ref C{fileId}. Returns
    what the terminal showed.
    """
    term = spawn_terminal(reactor, [OPENCLAW, "secrets", "configure", "--plan-out", str(plan)], env, gw.root)
    launcher.children.append(term)
    await term.answer("Add or replace a provider? (y/n) [n]: ", "y")
    await term.answer("Provider alias: ", "vault")
    await term.answer("Source (env/file/exec) [file]: ", "file")
    await term.answer("File path [", str(vaultFile))
    await term.answer("Mode (json/singleValue) [json]: ", "")
    await term.answer("Add or replace a provider? (y/n) [n]: ", "n")
    await term.expect(f"models.providers.{envProvider}.apiKey holds a plaintext value.")
    await term.answer("Move it to a SecretRef? (y/n) [y]: ", "y")
    await term.answer("Source (env/file/exec) [env]: ", "env")
    await term.answer("Provider alias [default]: ", "")
    await term.answer(f"Id [{envId}]: ", "")
    await term.expect(f"models.providers.{fileProvider}.apiKey holds a plaintext value.")
    await term.answer("Move it to a SecretRef? (y/n) [y]: ", "y")
    await term.answer("Source (env/file/exec) [env]: ", "file")
    await term.answer("Provider alias [vault]: ", "")
    await term.answer(f"Id [/models/providers/{fileProvider}/apiKey]: ", fileId)
    await term.expect("Preflight: 2 ref(s) resolved.")
    await term.expect(f"Plan saved to {plan}")
    assert await term.exited(timeout=60) == 0, term.describe()
    return term.stdout


async def dry_run_writes_nothing(launcher, gw, env, plan: Path) -> str:
    """`secrets apply --dry-run` of C{plan}: it succeeds and the config is untouched. Returns its output."""
    configBefore = gw.configPath.read_text()
    code, dry = await run_cli(launcher, gw, env, "secrets", "apply", "--from", str(plan), "--dry-run")
    assert code == 0, dry.describe()
    assert "Nothing was written." in dry.stdout and gw.configPath.read_text() == configBefore
    return dry.stdout + dry.stderr
