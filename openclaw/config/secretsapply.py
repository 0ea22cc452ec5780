"""
Applying a secrets plan: one write transaction over every file it changes.

 1. exec consent: a plan with exec refs or providers is written only with
    C{allowExec} (a dry run skips exec checks without it);
 2. the new contents, in memory: provider upserts and deletes first, then each
    target's ref in the config or an agent's auth-profile store (its plaintext
    removed), then the scrubs: C{.env} lines (state dir and config dir) and
    auth-profile / legacy C{auth.json} entries that hold a migrated plaintext;
 3. the new config is staged beside the old one, loaded as a reload would load it,
    every target ref is resolved from it (preflight), and the gateway's settings
    build runs on it (runtime activation), all against the environment as it will
    be after the scrub;
 4. commit: every new file is staged (owner-only temp file, flushed), then each is
    renamed over its target, the config first, so a crash leaves every file either
    old or new and the config never names a secret that a scrubbed file took away.
    A failed rename puts the files already replaced back (best effort).

No rollback copy is ever written: the old contents are kept in memory only, and a
C{<config>.bak} that still holds a migrated plaintext is removed. Temp files hold
new contents only; those an apply killed mid-write left are removed by the next one. Blocking file I/O and secret providers: a CLI runs it directly.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import io
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from dotenv.parser import parse_stream

from openclaw.atomicfile import PRIVATE, sweep_stale, temp_beside, write_atomically
from openclaw.config.authprofiles import (
    CREDENTIAL_FIELDS,
    AuthProfileError,
    agent_ids,
    legacy_path,
    profile_ref,
    read_json_object,
    read_store,
    store_path,
)
from openclaw.config.edit import PathError, get_path, has_comments, included_at, read_document, set_path
from openclaw.config.environ import config_environ
from openclaw.config.load import ConfigError, ConfigSource, load_source
from openclaw.config.secrets import SecretResolutionError, as_ref, credential_values, resolve_ref
from openclaw.config.secretsplan import AUTH_PROFILES, CONFIG, PlanError, PlanTarget, SecretsPlan
from openclaw.config.substitute import has_reference, substitute
from openclaw.config.write import config_text
from openclaw.paths import Paths, is_placeholder

#: The runtime activation check: the gateway's settings build of a loaded config in
#: an environment (C{openclaw.settings.offline_check}); raises L{ConfigError} to refuse.
Activation = Callable[[ConfigSource, Mapping[str, str]], Any]

EXEC_CONSENT = "Plan contains exec SecretRefs or exec providers; rerun with --allow-exec to apply it."

#: What each changed file is, in commit order.
KINDS = ("config", "auth-profiles", "legacy-auth", "dotenv", "backup")


class ApplyError(Exception):
    """Apply stopped before (or while) writing; the message never holds a secret."""


@dataclass(frozen=True)
class FileChange:
    path: str
    kind: str
    old: bytes | None = field(repr=False)
    #: None: the file is removed.
    new: bytes | None = field(repr=False)


@dataclass(frozen=True)
class ApplyResult:
    dryRun: bool
    changes: tuple[FileChange, ...]
    refsChecked: int
    skippedExecRefs: int
    warnings: tuple[str, ...] = ()

    def report(self, plan: SecretsPlan) -> dict[str, Any]:
        """The C{--json} document (paths and counts, never values)."""
        return {
            "ok": True,
            "mode": "dry-run" if self.dryRun else "write",
            "changed": bool(self.changes) and not self.dryRun,
            "changedFiles": [c.path for c in self.changes],
            "targets": len(plan.targets),
            "providerUpserts": len(plan.providerUpserts),
            "providerDeletes": len(plan.providerDeletes),
            "preflight": {"refsChecked": self.refsChecked, "skippedExecRefs": self.skippedExecRefs},
            "warnings": list(self.warnings),
        }


def apply_plan(
    plan: SecretsPlan,
    paths: Paths,
    environ: Mapping[str, str],
    cwd: str,
    activate: Activation,
    allowExec: bool = False,
    dryRun: bool = False,
) -> ApplyResult:
    """
    Check C{plan} against the install at C{paths} and (unless C{dryRun}) write it;
    C{activate} is the runtime activation check of the new config.

    @raise PlanError: the plan cannot apply to this install (exec consent included).
    @raise ApplyError: preflight, activation or the write failed; nothing (or,
        after a failed rename, as little as could be restored) changed.
    """
    if plan.usesExec and not allowExec and not dryRun:
        raise PlanError(EXEC_CONSENT)
    layered = config_environ(environ, paths.stateDir, cwd)
    edit = _Edit(plan, paths, layered)
    edit.build()
    after = {k: v for k, v in layered.items() if k in environ or k not in edit.scrubbedVars}
    changes = edit.changes()
    if not dryRun:  # what an earlier apply killed mid-write left behind
        for directory in dict.fromkeys(os.path.dirname(c.path) for c in changes):
            sweep_stale(directory)
    # a dry run stages only the config (to load it as a reload would)
    toStage = [c for c in changes if c.new is not None and (not dryRun or c.path == paths.configPath)]
    with contextlib.ExitStack() as stack:
        staged = {c.path: stack.enter_context(temp_beside(c.path, c.new, PRIVATE)) for c in toStage}
        configTemp = staged.get(paths.configPath)
        checked, skipped = _preflight(plan, paths, after, configTemp, allowExec, activate)
        if not dryRun:
            _commit(changes, staged)
    return ApplyResult(dryRun, tuple(changes), checked, skipped, tuple(edit.warnings))


# -- the new contents ----------------------------------------------------------


class _Edit:
    """The new contents of every file the plan changes (nothing written)."""

    def __init__(self, plan: SecretsPlan, paths: Paths, environ: Mapping[str, str]) -> None:
        self.plan, self.paths, self.environ = plan, paths, environ
        self.migrated: set[str] = set()
        self.scrubbedVars: set[str] = set()
        self.warnings: list[str] = []
        self._old: dict[str, bytes | None] = {}
        self._new: dict[str, bytes | None] = {}
        self._kind: dict[str, str] = {}

    def build(self) -> None:
        document = self._config()
        stores = self._profile_targets()
        providerIds = {t.providerId for t in self.plan.targets if t.type.name == "models.providers.apiKey"}
        if self.plan.scrubAuthProfilesForProviderTargets:
            self._scrub_profiles(stores, providerIds)
        for path, store in stores.items():
            self._set(path, "auth-profiles", _json_bytes(store))
        if self.plan.scrubLegacyAuthJson:
            self._scrub_legacy(providerIds)
        if self.plan.scrubEnv:
            self._scrub_dotenv(_env_ref_ids(document, stores.values()))
        self._drop_stale_backup()

    def changes(self) -> list[FileChange]:
        changed = [FileChange(p, self._kind[p], self._old[p], self._new[p]) for p in self._new if self._new[p] != self._old[p]]
        return sorted(changed, key=lambda c: KINDS.index(c.kind))

    def _read(self, path: str) -> bytes | None:
        if path not in self._old:
            try:
                with open(path, "rb") as f:
                    self._old[path] = f.read()
            except FileNotFoundError:
                self._old[path] = None
            except OSError as e:
                raise ApplyError(f"Cannot read {path}: {e.strerror}") from None
        return self._old[path]

    def _set(self, path: str, kind: str, data: bytes | None) -> None:
        self._read(path)
        self._new[path], self._kind[path] = data, kind

    def _leaving(self, value: Any) -> None:
        """Remember the plaintext a target held (what the scrubs look for)."""
        if not isinstance(value, str) or is_placeholder(value):
            return
        if has_reference(value):  # ${VAR}: the plaintext is the variable's value (maybe in a .env)
            value = substitute({"v": value}, self.environ)[0]["v"]
            if has_reference(value):
                return
        self.migrated.add(value)

    def _config(self) -> dict[str, Any]:
        path = self.paths.configPath
        try:
            document, text = read_document(path)
        except ConfigError as e:
            raise ApplyError("\n".join(e.issues)) from None
        if text is None:
            raise ApplyError(f"Missing config: {path} (run openclaw setup first)")
        original, document = document, copy.deepcopy(document)
        if self.plan.providerUpserts or self.plan.providerDeletes:
            where = included_at(document, ["secrets", "providers"])
            if where is not None:
                raise ApplyError(f"secrets.providers comes from an $include (at {where}); edit the included file instead")
            providers = _object_at(document, ["secrets", "providers"])
            for alias in self.plan.providerDeletes:
                if providers.pop(alias, None) is None:
                    self.warnings.append(f'providerDeletes: provider "{alias}" was not configured')
            for alias, provider in self.plan.providerUpserts.items():
                providers[alias] = copy.deepcopy(dict(provider))
        for target in self.plan.targets:
            if target.type.store != CONFIG:
                continue
            parts: list[str | int] = list(target.segments)
            where = included_at(document, parts)
            if where is not None:
                raise ApplyError(f"Plan target {target.path} comes from an $include (at {where}); edit the included file instead")
            try:
                self._leaving(get_path(document, parts))
            except KeyError:
                pass
            try:
                document = set_path(document, parts, _ref_json(target))
            except PathError as e:
                raise ApplyError(f"Plan target {target.path} cannot be set: {e}") from None
        if document != original:  # (a plan that changes nothing here leaves the file as written)
            if has_comments(text):
                self.warnings.append(f"{path} is rewritten as JSON: its comments are not kept")
            self._set(path, "config", config_text(document).encode("utf-8"))
        return document

    def _profile_targets(self) -> dict[str, dict[str, Any]]:
        stores: dict[str, dict[str, Any]] = {}
        for target in self.plan.targets:
            if target.type.store != AUTH_PROFILES:
                continue
            path = store_path(self.paths.stateDir, target.agentId or "")
            store = stores.get(path) or stores.setdefault(path, self._store(path))
            profileId = target.segments[1]
            plain, refField = CREDENTIAL_FIELDS[target.type.profileType or ""]
            profile = store["profiles"].get(profileId)
            if profile is None:
                if not target.authProfileProvider:
                    raise PlanError(
                        f'Plan target {target.label} creates auth profile "{profileId}": authProfileProvider is required'
                    )
                profile = store["profiles"][profileId] = {"type": target.type.profileType, "provider": target.authProfileProvider}
            elif not isinstance(profile, dict) or profile.get("type") != target.type.profileType:
                kind = profile.get("type") if isinstance(profile, dict) else type(profile).__name__
                raise PlanError(
                    f'Plan target {target.label}: auth profile "{profileId}" is of type {kind}, '
                    f"{target.type.name} needs type {target.type.profileType}"
                )
            elif target.authProfileProvider and profile.get("provider") != target.authProfileProvider:
                raise PlanError(
                    f'Plan target {target.label}: auth profile "{profileId}" belongs to provider '
                    f'"{profile.get("provider")}", not "{target.authProfileProvider}"'
                )
            self._leaving(profile.pop(plain, None))
            profile[refField] = _ref_json(target)
        return stores

    def _store(self, path: str) -> dict[str, Any]:
        try:
            return read_store(path)
        except AuthProfileError as e:
            raise ApplyError(str(e)) from None

    def _scrub_profiles(self, stores: dict[str, dict[str, Any]], providerIds: set[str | None]) -> None:
        for agentId in agent_ids(self.paths.stateDir):
            path = store_path(self.paths.stateDir, agentId)
            if path not in stores and os.path.exists(path):
                stores[path] = self._store(path)
        for path, store in stores.items():
            profiles = store["profiles"]
            for profileId in list(profiles):
                profile = profiles[profileId]
                fields = CREDENTIAL_FIELDS.get(profile.get("type")) if isinstance(profile, dict) else None
                if fields is None or profile.get("provider") not in providerIds or profile.get(fields[0]) not in self.migrated:
                    continue
                del profile[fields[0]]
                if profile_ref(profile) is None:  # nothing left to authenticate with
                    del profiles[profileId]

    def _scrub_legacy(self, providerIds: set[str | None]) -> None:
        for agentId in agent_ids(self.paths.stateDir):
            path = legacy_path(self.paths.stateDir, agentId)
            try:
                legacy = read_json_object(path)
            except AuthProfileError as e:
                raise ApplyError(str(e)) from None
            if legacy is None:
                continue
            kept = {
                provider: entry
                for provider, entry in legacy.items()
                if not (provider in providerIds and isinstance(entry, dict) and self.migrated & set(map(str, entry.values())))
            }
            if kept != legacy:
                self._set(path, "legacy-auth", _json_bytes(kept))

    def _scrub_dotenv(self, keep: set[str]) -> None:
        for directory in dict.fromkeys([self.paths.stateDir, os.path.dirname(self.paths.configPath)]):
            path = os.path.join(directory, ".env")
            old = self._read(path)
            if old is None:
                continue
            kept = []
            for binding in parse_stream(io.StringIO(old.decode("utf-8", "replace"))):
                if binding.key is not None and binding.key not in keep and binding.value in self.migrated:
                    self.scrubbedVars.add(binding.key)
                    continue
                kept.append(binding.original.string)
            new = "".join(kept).encode("utf-8")
            if new != old:
                self._set(path, "dotenv", new)

    def _drop_stale_backup(self) -> None:
        path = self.paths.configPath + ".bak"
        old = self._read(path)
        if old is not None and any(value.encode("utf-8") in old for value in self.migrated):
            self._set(path, "backup", None)
            self.warnings.append(f"{path} held a migrated plaintext value and is removed")


def _object_at(document: dict[str, Any], parts: list[str]) -> dict[str, Any]:
    node = document
    for part in parts:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    return node


def _ref_json(target: PlanTarget) -> dict[str, str]:
    return {"source": target.ref.source, "provider": target.ref.provider, "id": target.ref.id}


def _json_bytes(document: Any) -> bytes:
    return config_text(document).encode("utf-8")


def _env_ref_ids(config: Mapping[str, Any], stores: Iterable[Mapping[str, Any]]) -> set[str]:
    """The variables env refs read after the apply: the scrub never removes those."""
    refs = [as_ref(value) for _, value in credential_values(config)]
    refs += [profile_ref(p) for store in stores for p in store.get("profiles", {}).values() if isinstance(p, dict)]
    return {ref.id for ref in refs if ref is not None and ref.source == "env"}


# -- preflight and commit --------------------------------------------------------


def _preflight(
    plan: SecretsPlan,
    paths: Paths,
    environ: Mapping[str, str],
    configTemp: str | None,
    allowExec: bool,
    activate: Activation,
) -> tuple[int, int]:
    """Resolve every target ref from the staged config, then run the activation check on it."""
    readFrom = configTemp or paths.configPath
    try:
        source = load_source(readFrom, environ)
    except ConfigError as e:
        raise ApplyError("\n".join(issue.replace(readFrom, paths.configPath) for issue in e.issues)) from None
    assert source is not None  # (L{_Edit} refused a missing config)
    source = dataclasses.replace(source, path=paths.configPath)
    checked = skipped = 0
    for target in plan.targets:
        if target.ref.source == "exec" and not allowExec:
            skipped += 1
            continue
        try:
            resolve_ref(source.config, target.ref, environ)
        except SecretResolutionError as e:
            raise ApplyError(f"Preflight failed: {target.label} ({target.ref.label}): {e}") from None
        checked += 1
    try:
        activate(source, environ)
    except ConfigError as e:
        raise ApplyError("Runtime activation check failed: " + "; ".join(e.issues)) from None
    return checked, skipped


def _commit(changes: list[FileChange], staged: Mapping[str, str]) -> None:
    """Rename (or remove) in order; on failure put back what was already replaced."""
    done: list[FileChange] = []
    try:
        for change in changes:
            if change.new is None:
                os.unlink(change.path)
            else:
                os.replace(staged[change.path], change.path)
            done.append(change)
    except OSError as e:
        restored = _restore(done)
        raise ApplyError(
            f"Apply failed while replacing {change.path}: {e.strerror}; "
            f"restored {restored} of {len(done)} file(s) already replaced"
        ) from None


def _restore(done: list[FileChange]) -> int:
    restored = 0
    for change in reversed(done):
        try:
            if change.old is None:
                os.unlink(change.path)
            else:
                write_atomically(change.path, change.old, PRIVATE)
            restored += 1
        except OSError:
            continue
    return restored


__all__ = ["EXEC_CONSENT", "Activation", "ApplyError", "ApplyResult", "FileChange", "apply_plan"]
