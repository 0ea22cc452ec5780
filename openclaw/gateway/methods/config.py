"""
Config methods: C{config.get} (secrets redacted, the file's hash and path),
C{config.set} / C{config.apply} (whole file), C{config.patch} (JSON merge patch),
C{config.schema}, and C{gateway.restart.request}.

Every write goes through the one validated config write (L{write_config}, with the
running gateway's settings build as its check) and then through the reload
pipeline like an edit on disk. C{config.patch} and C{config.apply} need the
C{baseHash} from C{config.get} once the file exists; hashes are keyed revisions
(L{openclaw.config.revision}), never a plain digest of the secret-bearing file.
Writes and restart requests are rate limited per method and caller.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from twisted.internet.interfaces import IReactorTime

from openclaw import VERSION
from openclaw.config import codec
from openclaw.config.load import ConfigError, content_hash, load_source
from openclaw.config.patch import PatchError, apply_patch
from openclaw.config.revision import revision, same_revision
from openclaw.config.schema import SCHEMA
from openclaw.config.secrets import CREDENTIAL_SURFACE, REDACTED, redact_config, sensitive_paths
from openclaw.config.write import config_text, write_config
from openclaw.settings import settings_check
from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes
from openclaw.protocol.errors import INVALID_REQUEST, UNAVAILABLE, GatewayError

WRITE_LIMIT = 30
WRITE_WINDOW = 60.0

_STRING = {"type": "string", "minLength": 1}
_DELIVERY = {"type": "object"}
_WRITE_EXTRAS = {
    "sessionKey": {"type": "string"},
    "deliveryContext": _DELIVERY,
    "note": {"type": "string"},
    "restartDelayMs": {"type": "integer", "minimum": 0},
}


def _params(**properties: Any) -> dict[str, Any]:
    schema = closed(raw=_STRING, baseHash=_STRING, **properties)
    schema["required"] = ["raw"]
    return schema


class WriteLimiter:
    """A fixed window of L{WRITE_LIMIT} calls per L{WRITE_WINDOW} seconds per key."""

    def __init__(self, clock: IReactorTime) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, ...], tuple[float, int]] = {}

    def check(self, method: str, ctx: CallContext) -> None:
        now = self._clock.seconds()
        for key in [k for k, (start, _) in self._windows.items() if now - start >= WRITE_WINDOW]:
            del self._windows[key]
        key = (method, ctx.deviceId or "", ctx.peerIp)
        start, count = self._windows.get(key, (now, 0))
        if count >= WRITE_LIMIT:
            retryMs = max(1, int((start + WRITE_WINDOW - now) * 1000))
            raise GatewayError(
                UNAVAILABLE,
                f"rate limit exceeded for {method}; retry after {-(-retryMs // 1000)}s",
                {"method": method, "limit": f"{WRITE_LIMIT} per {int(WRITE_WINDOW)}s"},
                retryable=True,
                retryAfterMs=retryMs,
            )
        self._windows[key] = (start, count + 1)


def redact_raw(text: str, *configs: Any) -> str:
    """C{text} with every plaintext secret value of C{configs} replaced by the sentinel."""
    values = {v for config in configs for _, v in sensitive_paths(config) if isinstance(v, str) and v}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED).replace(json.dumps(value)[1:-1], REDACTED)
    return text


def _parse_object(raw: str, what: str) -> dict[str, Any]:
    try:
        value = codec.loads(raw)
    except ValueError as e:
        raise GatewayError(INVALID_REQUEST, f"invalid {what}: {e}") from None
    if not isinstance(value, dict):
        raise GatewayError(INVALID_REQUEST, f"invalid {what}: must be an object")
    return value


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


def register(registry: MethodRegistry, tree, shell) -> None:
    limiter = WriteLimiter(tree.hub.clock)

    def get(params: dict, ctx: CallContext):
        return ctx.inThread(_snapshot)

    def _snapshot() -> dict[str, Any]:
        settings = tree.settings
        path = settings.paths.configPath
        stateDir = settings.paths.stateDir
        text = _read(path)
        result: dict[str, Any] = {
            "path": path,
            "exists": text is not None,
            "includedPaths": list(settings.includedFiles),
            "valid": True,
            "issues": [],
            "warnings": list(settings.warnings),
            "appliedConfigHash": None if settings.configHash is None else revision(stateDir, settings.configHash),
        }
        if text is None:
            return {**result, "raw": None, "parsed": {}, "config": redact_config(dict(settings.config)), "hash": None}
        try:
            parsed = codec.loads(text)
        except ValueError:
            parsed = None
        try:
            source = load_source(path, shell.environ)
            config = source.config if source is not None else {}
            result["includedPaths"] = list(source.included) if source is not None else []
        except ConfigError as e:
            config = dict(settings.config)
            result.update(valid=False, issues=e.issues)
        result.update(
            raw=redact_raw(text, parsed, settings.config, config),
            parsed=redact_config(parsed),
            config=redact_config(config),
            hash=revision(stateDir, content_hash(text)),
        )
        return result

    def _written(path: str, text: str) -> tuple[Any, dict[str, Any]]:
        """Validate C{text} as the whole config and replace the file (in a thread)."""
        check = settings_check(lambda source: shell.settingsFor(source, persist=False))
        try:
            source, settings = write_config(path, text, shell.environ, check)
        except ConfigError as e:
            raise GatewayError(INVALID_REQUEST, "invalid config: " + "; ".join(e.issues), {"issues": e.issues}) from None
        stateDir = tree.settings.paths.stateDir
        return settings, {"ok": True, "path": path, "hash": revision(stateDir, source.hash), "config": redact_config(source.config)}

    def _guard(current: str | None, baseHash: str | None, required: bool) -> None:
        if current is None:
            return
        if baseHash is None:
            if required:
                raise GatewayError(INVALID_REQUEST, "config base hash required; re-run config.get and retry")
            return
        if not same_revision(tree.settings.paths.stateDir, content_hash(current), baseHash):
            raise GatewayError(INVALID_REQUEST, "config changed since last load; re-run config.get and retry")

    def _write(method: str, params: dict, ctx: CallContext, patch: bool, baseRequired: bool):
        limiter.check(method, ctx)
        path = tree.settings.paths.configPath

        def step():
            current = _read(path)
            _guard(current, params.get("baseHash"), baseRequired)
            text = params["raw"]
            if patch:
                changes = _parse_object(text, "config.patch raw")
                document = _parse_object(current, "config file") if current else {}
                try:
                    text = config_text(apply_patch(document, changes, params.get("replacePaths", [])))
                except PatchError as e:
                    raise GatewayError(INVALID_REQUEST, str(e)) from None
            return _written(path, text)

        return shell.writeConfig(step, params.get("restartDelayMs", 0))

    def set_(params: dict, ctx: CallContext):
        return _write("config.set", params, ctx, patch=False, baseRequired=False)

    def apply(params: dict, ctx: CallContext):
        return _write("config.apply", params, ctx, patch=False, baseRequired=True)

    def patch(params: dict, ctx: CallContext):
        return _write("config.patch", params, ctx, patch=True, baseRequired=True)

    def schema(params: dict, ctx: CallContext) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "uiHints": {path: {"sensitive": True} for path in CREDENTIAL_SURFACE},
            "version": VERSION,
            "generatedAt": datetime.now(timezone.utc).isoformat(),
        }

    def restart_request(params: dict, ctx: CallContext) -> dict[str, Any]:
        limiter.check("gateway.restart.request", ctx)
        reason = params.get("reason")
        shell.requestRestart(
            f"gateway.restart.request: {reason}" if reason else "gateway.restart.request",
            delay=params.get("delayMs", 0) / 1000,
        )
        return {"ok": True}

    registry.add("config.get", scopes.READ, get, closed())
    registry.add("config.schema", scopes.READ, schema, closed())
    registry.add("config.set", scopes.ADMIN, set_, _params())
    registry.add("config.apply", scopes.ADMIN, apply, _params(**_WRITE_EXTRAS))
    registry.add(
        "config.patch",
        scopes.ADMIN,
        patch,
        _params(**_WRITE_EXTRAS, replacePaths={"type": "array", "items": _STRING, "maxItems": 256}),
    )
    registry.add(
        "gateway.restart.request",
        scopes.ADMIN,
        restart_request,
        closed(reason={"type": "string"}, delayMs={"type": "integer", "minimum": 0}),
    )
