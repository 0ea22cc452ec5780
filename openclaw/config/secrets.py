"""
SecretRefs: C{{source: env|file|exec, provider, id}} in place of a credential,
resolved eagerly into one immutable L{SecretsSnapshot}.

L{resolve_secrets} does blocking I/O (it reads files and runs exec providers):
start-up calls it before the reactor runs, reloads call it in a thread. Nothing
else reads a secret: request paths read the snapshot. No error message carries a
secret value, and exec providers' output is never echoed.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterator, Mapping

from openclaw.config.load import lookup
from openclaw.paths import expand, is_placeholder

SOURCES = ("env", "file", "exec")
REDACTED = "__OPENCLAW_REDACTED__"

_PROVIDER = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_ENV_ID = re.compile(r"^[A-Z][A-Z0-9_]{0,127}$")
_EXEC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,255}$")

DEFAULT_TIMEOUT_MS = 5000
DEFAULT_MAX_BYTES = 1024 * 1024
EXEC_PROTOCOL_VERSION = 1

#: Config paths that may hold a credential (and so a SecretRef); C{*} is one segment.
CREDENTIAL_SURFACE = (
    "gateway.auth.token",
    "gateway.auth.password",
    "gateway.remote.token",
    "gateway.remote.password",
    "models.providers.*.apiKey",
    "models.providers.*.headers.*",
    "skills.entries.*.apiKey",
    "memory.search.remote.apiKey",
    "cron.webhookToken",
    "channels.*.botToken",
    "channels.*.token",
    "channels.*.appToken",
    "channels.*.signingSecret",
    "channels.*.password",
    "channels.*.serviceAccount",
    "channels.*.accounts.*.botToken",
    "channels.*.accounts.*.token",
    "channels.*.accounts.*.appToken",
    "channels.*.accounts.*.signingSecret",
    "channels.*.accounts.*.password",
    "channels.*.accounts.*.serviceAccount",
)

#: Key names that hold secrets wherever they appear (redaction and audit), matched
#: with C{-} and C{_} removed (C{api_key}, C{private-key}).
_SENSITIVE_KEY = re.compile(r"(token|password|passwd|passphrase|secret|apikey|credential|privatekey)$", re.IGNORECASE)

_SURFACE = [pattern.split(".") for pattern in CREDENTIAL_SURFACE]


class SecretResolutionError(Exception):
    """An active SecretRef could not be resolved; the message names the path and ref, never a value."""


@dataclass(frozen=True)
class SecretRef:
    source: str
    provider: str
    id: str

    @property
    def label(self) -> str:
        return f"{self.source}:{self.provider}:{self.id}"


def ref_problem(source: Any, provider: Any, id_: Any) -> str | None:
    """What is wrong with the shape of a SecretRef (source, provider alias, id grammar), or None."""
    if source not in SOURCES:
        return f'source must be one of {", ".join(SOURCES)}'
    if not isinstance(provider, str) or not _PROVIDER.match(provider):
        return "provider must match [a-z][a-z0-9_-]{0,63}"
    if not isinstance(id_, str) or not id_ or id_ == REDACTED:
        return "id must be a non-empty string"
    if source == "env" and not _ENV_ID.match(id_):
        return "env id must be a variable name matching [A-Z][A-Z0-9_]{0,127}"
    if source == "file" and id_ != "value" and not id_.startswith("/"):
        return 'file id must be an absolute JSON pointer (or "value" for a singleValue provider)'
    if source == "exec" and (not _EXEC_ID.match(id_) or any(part in (".", "..") for part in id_.split("/"))):
        return "exec id must match [A-Za-z0-9][A-Za-z0-9._:/#-]{0,255} without . or .. segments"
    return None


def as_ref(value: Any) -> SecretRef | None:
    """The SecretRef C{value} is, or None for anything else (plaintext, missing)."""
    if isinstance(value, Mapping) and set(value) == {"source", "provider", "id"}:
        if value["source"] in SOURCES and all(isinstance(value[k], str) for k in ("provider", "id")):
            return SecretRef(value["source"], value["provider"], value["id"])
    return None


@dataclass(frozen=True)
class SecretsSnapshot:
    """
    Resolved values by dotted config path (active refs only), the active-surface
    decisions, and warnings. Immutable: a reload builds a new one and swaps it in.
    """

    values: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    inactive: tuple[str, ...] = ()
    refs: Mapping[str, SecretRef] = field(default_factory=lambda: MappingProxyType({}))
    warnings: tuple[str, ...] = ()

    def get(self, path: str) -> str | None:
        return self.values.get(path)


# -- where refs are ------------------------------------------------------------


def _walk(node: Any, pattern: list[str], prefix: list[str]) -> Iterator[tuple[list[str], Any]]:
    if not pattern:
        yield prefix, node
        return
    if not isinstance(node, Mapping):
        return
    head, rest = pattern[0], pattern[1:]
    keys = list(node) if head == "*" else ([head] if head in node else [])
    for key in keys:
        yield from _walk(node[key], rest, prefix + [key])


def credential_values(config: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every C{(dotted path, value)} on the credential surface that is set."""
    for pattern in CREDENTIAL_SURFACE:
        for segments, value in _walk(config, pattern.split("."), []):
            yield ".".join(segments), value


def _secret_key(key: Any) -> bool:
    return isinstance(key, str) and _SENSITIVE_KEY.search(key.replace("-", "").replace("_", "")) is not None


def _on_surface(segments: list[str]) -> bool:
    """Whether C{segments} is a credential-surface path or lies inside one's value."""
    return any(
        len(pattern) <= len(segments) and all(p == "*" or p == s for p, s in zip(pattern, segments)) for pattern in _SURFACE
    )


def sensitive_paths(config: Any) -> Iterator[tuple[str, Any]]:
    """
    Every C{(dotted path, value)} that holds a secret anywhere in C{config}: a
    SecretRef, or a scalar under a key that names a secret or on (or inside a value
    on) the credential surface, such as a header or a service account's C{private_key}.
    """
    return _sensitive(config, "", [], False)


def _sensitive(node: Any, prefix: str, segments: list[str], secret: bool) -> Iterator[tuple[str, Any]]:
    if as_ref(node) is not None or (secret and not isinstance(node, (Mapping, list))):
        yield prefix, node
    elif isinstance(node, Mapping):
        for key, value in node.items():
            inner = segments + [str(key)]
            path = f"{prefix}.{key}" if prefix else str(key)
            yield from _sensitive(value, path, inner, secret or _secret_key(key) or _on_surface(inner))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _sensitive(item, f"{prefix}[{index}]", segments + [f"[{index}]"], secret)


def redact_config(config: Any) -> Any:
    """A copy of C{config} with every plaintext secret replaced by L{REDACTED} (refs stay)."""
    hidden = {path for path, value in sensitive_paths(config) if isinstance(value, str) and value}

    def walk(node: Any, path: str) -> Any:
        if path in hidden:
            return REDACTED
        if isinstance(node, Mapping):
            return {key: walk(value, f"{path}.{key}" if path else str(key)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, f"{path}[{i}]") for i, item in enumerate(node)]
        return node

    return walk(config, "")


def inactive_reason(config: Mapping[str, Any], path: str, environ: Mapping[str, str]) -> str | None:
    """Why the ref at C{path} need not resolve (an inactive surface), or None when it is active."""
    authMode = lookup(config, "gateway.auth.mode")
    if path == "gateway.auth.token":
        if not is_placeholder(environ.get("OPENCLAW_GATEWAY_TOKEN", "")):
            return "OPENCLAW_GATEWAY_TOKEN is set"
        if authMode in ("password", "none", "trusted-proxy"):
            return f"gateway.auth.mode is {authMode}"
    if path == "gateway.auth.password":
        if not is_placeholder(environ.get("OPENCLAW_GATEWAY_PASSWORD", "")):
            return "OPENCLAW_GATEWAY_PASSWORD is set"
        if authMode in ("token", "none", "trusted-proxy"):
            return f"gateway.auth.mode is {authMode}"
    if path.startswith("gateway.remote."):
        if lookup(config, "gateway.mode") != "remote" and not lookup(config, "gateway.remote.url"):
            return "gateway.mode is not remote and gateway.remote.url is unset"
    parts = path.split(".")
    if parts[0] == "channels":
        if lookup(config, f"channels.{parts[1]}.enabled") is False:
            return f"channels.{parts[1]} is disabled"
        if len(parts) > 3 and parts[2] == "accounts" and lookup(config, f"channels.{parts[1]}.accounts.{parts[3]}.enabled") is False:
            return f"channels.{parts[1]}.accounts.{parts[3]} is disabled"
    return None


# -- providers -----------------------------------------------------------------


def _provider(config: Mapping[str, Any], ref: SecretRef) -> Mapping[str, Any] | None:
    """The provider entry a ref names; None for the built-in env reader."""
    if not _PROVIDER.match(ref.provider):
        raise SecretResolutionError(f'invalid provider alias "{ref.provider}"')
    entry = (lookup(config, "secrets.providers") or {}).get(ref.provider)
    envDefault = (lookup(config, "secrets.defaults") or {}).get("env", "default")
    if entry is None:
        if ref.source == "env" and ref.provider == envDefault:
            return None
        raise SecretResolutionError(f'provider "{ref.provider}" is not configured')
    if not isinstance(entry, Mapping) or entry.get("source") != ref.source:
        raise SecretResolutionError(f'provider "{ref.provider}" is not a {ref.source} provider')
    return entry


def _resolve_env(entry: Mapping[str, Any] | None, ids: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    allow = None if entry is None else entry.get("allowlist")
    out = {}
    for name in ids:
        if not _ENV_ID.match(name):
            raise SecretResolutionError(f'invalid env secret id "{name}"')
        if allow is not None and name not in allow:
            raise SecretResolutionError(f"environment variable {name} is not in the provider allowlist")
        value = environ.get(name)
        if not value:
            raise SecretResolutionError(f"environment variable {name} is missing or empty")
        out[name] = value
    return out


def _check_private_file(path: str, what: str, allowInsecure: bool) -> os.stat_result:
    try:
        info = os.lstat(path)
    except OSError as e:
        raise SecretResolutionError(f"{what} {path}: {e.strerror}") from None
    if stat.S_ISLNK(info.st_mode) and not allowInsecure:
        raise SecretResolutionError(f"{what} {path} is a symlink")
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise SecretResolutionError(f"{what} {path} is not a regular file")
    if allowInsecure:
        return info
    if info.st_uid != os.getuid():
        raise SecretResolutionError(f"{what} {path} is not owned by the current user")
    return info


def _json_pointer(document: Any, pointer: str) -> Any:
    if not pointer.startswith("/"):
        raise SecretResolutionError(f'file secret id "{pointer}" is not an absolute JSON pointer')
    node = document
    for raw in pointer[1:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, Mapping) and key in node:
            node = node[key]
        else:
            raise SecretResolutionError(f"file secret {pointer} not found")
    return node


def _resolve_file(alias: str, entry: Mapping[str, Any], ids: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    path = expand(str(entry.get("path", "")), environ)
    if not os.path.isabs(path):
        raise SecretResolutionError(f'file provider "{alias}" needs an absolute path')
    insecure = bool(entry.get("allowInsecurePath"))
    info = _check_private_file(path, f'file provider "{alias}":', insecure)
    if not insecure and info.st_mode & 0o077:
        raise SecretResolutionError(
            f'file provider "{alias}": {path} must not be readable or writable by group or others (chmod 600)'
        )
    maxBytes = int(entry.get("maxBytes", DEFAULT_MAX_BYTES))
    if info.st_size > maxBytes:
        raise SecretResolutionError(f'file provider "{alias}": {path} is larger than {maxBytes} bytes')
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise SecretResolutionError(f'file provider "{alias}": cannot read {path}: {e}') from None
    if entry.get("mode", "json") == "singleValue":
        for id_ in ids:
            if id_ != "value":
                raise SecretResolutionError(f'file provider "{alias}" is singleValue: the id must be "value"')
        return {"value": text.rstrip("\r\n")}
    try:
        document = json.loads(text)
    except ValueError:
        raise SecretResolutionError(f'file provider "{alias}": {path} is not valid JSON') from None
    if not isinstance(document, dict):
        raise SecretResolutionError(f'file provider "{alias}": {path} must hold a JSON object')
    out = {}
    for id_ in ids:
        value = _json_pointer(document, id_)
        if not isinstance(value, str):
            raise SecretResolutionError(f'file provider "{alias}": {id_} is not a string')
        out[id_] = value
    return out


def _check_exec_id(id_: str) -> None:
    if not _EXEC_ID.match(id_) or any(part in (".", "..") for part in id_.split("/")):
        raise SecretResolutionError(f'invalid exec secret id "{id_}"')


def _exec_command(alias: str, entry: Mapping[str, Any]) -> str:
    command = entry.get("command")
    if not isinstance(command, str) or not os.path.isabs(command):
        raise SecretResolutionError(f'exec provider "{alias}" needs an absolute command path')
    allowSymlink = bool(entry.get("allowSymlinkCommand"))
    info = _check_private_file(command, f'exec provider "{alias}": command', allowSymlink)
    if info.st_mode & 0o022:
        raise SecretResolutionError(f'exec provider "{alias}": command {command} is writable by group or others')
    if not os.access(command, os.X_OK):
        raise SecretResolutionError(f'exec provider "{alias}": command {command} is not executable')
    trusted = entry.get("trustedDirs")
    if trusted:
        real = os.path.realpath(command)
        if not any(os.path.commonpath([os.path.realpath(d), real]) == os.path.realpath(d) for d in trusted):
            raise SecretResolutionError(f'exec provider "{alias}": command {command} is outside trustedDirs')
    return command


def _resolve_exec(alias: str, entry: Mapping[str, Any], ids: list[str], environ: Mapping[str, str]) -> dict[str, str]:
    for id_ in ids:
        _check_exec_id(id_)
    command = _exec_command(alias, entry)
    childEnv = {name: environ[name] for name in entry.get("passEnv", ()) if name in environ}
    childEnv.update({str(k): str(v) for k, v in (entry.get("env") or {}).items()})
    request = json.dumps({"protocolVersion": EXEC_PROTOCOL_VERSION, "provider": alias, "ids": ids})
    timeoutMs = int(entry.get("timeoutMs", DEFAULT_TIMEOUT_MS))
    try:
        done = subprocess.run(
            [command, *[str(a) for a in entry.get("args", ())]],
            input=request.encode(),
            capture_output=True,
            env=childEnv,
            timeout=timeoutMs / 1000,
            shell=False,
        )
    except subprocess.TimeoutExpired:
        raise SecretResolutionError(f'exec provider "{alias}" timed out after {timeoutMs}ms') from None
    except OSError as e:
        raise SecretResolutionError(f'exec provider "{alias}" could not run: {e.strerror}') from None
    if done.returncode != 0:
        raise SecretResolutionError(f'exec provider "{alias}" exited with status {done.returncode}')
    maxBytes = int(entry.get("maxOutputBytes", DEFAULT_MAX_BYTES))
    if len(done.stdout) > maxBytes:
        raise SecretResolutionError(f'exec provider "{alias}" wrote more than {maxBytes} bytes')
    return _exec_values(alias, entry, ids, done.stdout)


def _exec_values(alias: str, entry: Mapping[str, Any], ids: list[str], stdout: bytes) -> dict[str, str]:
    text = stdout.decode("utf-8", "replace")
    try:
        response = json.loads(text)
    except ValueError:
        response = None
    if not isinstance(response, dict):
        if entry.get("jsonOnly", True) is False and len(ids) == 1 and text.strip():
            return {ids[0]: text.rstrip("\r\n")}
        raise SecretResolutionError(f'exec provider "{alias}" did not answer with a JSON object')
    if response.get("protocolVersion") != EXEC_PROTOCOL_VERSION:
        raise SecretResolutionError(f'exec provider "{alias}" answered with an unsupported protocolVersion')
    values = response.get("values") if isinstance(response.get("values"), dict) else {}
    errors = response.get("errors") if isinstance(response.get("errors"), dict) else {}
    out = {}
    for id_ in ids:
        value = values.get(id_)
        if isinstance(value, str) and value:
            out[id_] = value
            continue
        error = errors.get(id_) if isinstance(errors.get(id_), dict) else {}
        code = error.get("code") if error.get("code") in ("NOT_FOUND", "AMBIGUOUS_DUPLICATE_KEY") else None
        raise SecretResolutionError(f'exec provider "{alias}" has no value for {id_}' + (f" ({code})" if code else ""))
    return out


# -- the snapshot --------------------------------------------------------------


def active_refs(config: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[dict[str, SecretRef], list[str]]:
    """The refs that must resolve (by path) and the paths of the inactive ones."""
    active: dict[str, SecretRef] = {}
    inactive: list[str] = []
    for path, value in credential_values(config):
        ref = as_ref(value)
        if ref is None:
            continue
        if inactive_reason(config, path, environ) is None:
            active[path] = ref
        else:
            inactive.append(path)
    return active, inactive


#: What an exec ref resolves to when exec providers are not to be run (C{runExec}
#: false): the settings are built only to check a config, and are then discarded.
EXEC_NOT_RUN = "<exec provider not run>"


def _resolve_batch(
    config: Mapping[str, Any], source: str, alias: str, ids: list[str], environ: Mapping[str, str], runExec: bool = True
) -> dict[str, str]:
    """The values of C{ids} from one provider: one file read or one exec run."""
    entry = _provider(config, SecretRef(source, alias, ids[0]))
    if source == "env":
        return _resolve_env(entry, ids, environ)
    if source == "file":
        return _resolve_file(alias, entry, ids, environ)
    if not runExec:
        for id_ in ids:
            _check_exec_id(id_)
        _exec_command(alias, entry)
        return dict.fromkeys(ids, EXEC_NOT_RUN)
    return _resolve_exec(alias, entry, ids, environ)


def resolve_ref(config: Mapping[str, Any], ref: SecretRef, environ: Mapping[str, str]) -> str:
    """One ref's value (blocking; raises L{SecretResolutionError})."""
    return _resolve_batch(config, ref.source, ref.provider, [ref.id], environ)[ref.id]


def resolve_secrets(config: Mapping[str, Any], environ: Mapping[str, str], runExec: bool = True) -> SecretsSnapshot:
    """
    Resolve every active SecretRef in C{config}, batching the ids of each provider
    into one read or one exec run. With C{runExec} false, exec refs are checked
    (provider, id, command) but not run, and stand for L{EXEC_NOT_RUN}. Blocking:
    call it off the reactor.

    @raise SecretResolutionError: naming the first path that failed, without values.
    """
    active, inactive = active_refs(config, environ)
    byProvider: dict[tuple[str, str], list[str]] = {}
    for path, ref in active.items():
        ids = byProvider.setdefault((ref.source, ref.provider), [])
        if ref.id not in ids:
            ids.append(ref.id)
    resolved: dict[tuple[str, str, str], str] = {}
    for (source, alias), ids in byProvider.items():
        try:
            found = _resolve_batch(config, source, alias, ids, environ, runExec)
        except SecretResolutionError as e:
            paths = ", ".join(p for p, r in active.items() if (r.source, r.provider) == (source, alias))
            # (not "<path>: …": log redaction would take "token: file…" for a secret)
            raise SecretResolutionError(f"{paths} could not be resolved ({e})") from None
        for id_, value in found.items():
            resolved[(source, alias, id_)] = value
    values = {path: resolved[(ref.source, ref.provider, ref.id)] for path, ref in active.items()}
    warnings = tuple(
        f"SECRETS_REF_IGNORED_INACTIVE_SURFACE: {path} ({inactive_reason(config, path, environ)})" for path in inactive
    )
    return SecretsSnapshot(MappingProxyType(values), tuple(inactive), MappingProxyType(dict(active)), warnings)


__all__ = [
    "CREDENTIAL_SURFACE",
    "EXEC_NOT_RUN",
    "REDACTED",
    "SecretRef",
    "SecretResolutionError",
    "SecretsSnapshot",
    "active_refs",
    "as_ref",
    "credential_values",
    "redact_config",
    "inactive_reason",
    "ref_problem",
    "resolve_ref",
    "resolve_secrets",
    "sensitive_paths",
]
