"""
The config file's JSON Schema (draft-07) and L{validate}, which turns
C{jsonschema} errors into readable C{<dotted.path>: <message>} lines.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import fastjsonschema

if TYPE_CHECKING:  # imported only to explain an invalid file (see validate)
    from jsonschema import ValidationError

from openclaw.config.rules import check_rules


def _closed(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _enum(*values: Any) -> dict[str, Any]:
    return {"enum": list(values)}


def _int(minimum: int = 0, maximum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


_STRING = {"type": "string"}
_BOOL = {"type": "boolean"}
_STRINGS = {"type": "array", "items": _STRING}
_OPEN = {"type": "object"}
_SECRET = {"$ref": "#/definitions/secretInput"}
_LOG_LEVEL = _enum("silent", "fatal", "error", "warn", "info", "debug", "trace")

#: What image parts of the OpenAI-compatible endpoints may be (openclaw.http_settings).
_HTTP_IMAGES = _closed(allowUrl=_BOOL, maxBytes=_int(1), allowedMimes=_STRINGS)

_GATEWAY = _closed(
    mode=_enum("local", "remote"),
    port=_int(1, 65535),
    bind=_enum("loopback", "lan", "tailnet", "auto", "custom"),
    customBindHost=_STRING,
    auth=_closed(
        mode=_enum("none", "token", "password", "trusted-proxy"),
        token=_SECRET,
        password=_SECRET,
        allowTailscale=_BOOL,
        trustedProxy=_closed(
            userHeader=_STRING,
            requiredHeaders=_STRINGS,
            allowUsers=_STRINGS,
            allowLoopback=_BOOL,
        ),
        rateLimit=_closed(
            maxAttempts=_int(1),
            windowMs=_int(),
            lockoutMs=_int(),
            exemptLoopback=_BOOL,
        ),
    ),
    trustedProxies=_STRINGS,
    allowRealIpFallback=_BOOL,
    reload=_closed(
        mode=_enum("off", "hot", "restart", "hybrid"),
        debounceMs=_int(),
        deferralTimeoutMs=_int(),
    ),
    controlUi=_closed(
        enabled=_BOOL,
        basePath=_STRING,
        root=_STRING,
        allowedOrigins=_STRINGS,
        dangerouslyAllowHostHeaderOriginFallback=_BOOL,
        allowInsecureAuth=_BOOL,
        dangerouslyDisableDeviceAuth=_BOOL,
    ),
    http=_closed(
        endpoints=_closed(
            chatCompletions=_closed(enabled=_BOOL, maxBodyBytes=_int(1), images=_HTTP_IMAGES),
            responses=_closed(
                enabled=_BOOL, maxBodyBytes=_int(1), maxUrlParts=_int(1), images=_HTTP_IMAGES,
                files=_closed(maxBytes=_int(1), maxChars=_int(1), allowedMimes=_STRINGS),
            ),
        ),
        securityHeaders=_closed(
            strictTransportSecurity={
                "title": "a string or false",
                "anyOf": [_STRING, {"const": False}],
            },
        ),
    ),
    tools=_closed(allow=_STRINGS, deny=_STRINGS),
    tailscale=_closed(mode=_enum("off", "serve", "funnel"), resetOnExit=_BOOL),
    tls=_closed(
        enabled=_BOOL,
        autoGenerate=_BOOL,
        certPath=_STRING,
        keyPath=_STRING,
        caPath=_STRING,
    ),
    remote=_closed(
        url={"type": "string", "pattern": "^wss?://"},
        transport=_enum("ssh", "direct"),
        token=_SECRET,
        password=_SECRET,
        tlsFingerprint=_STRING,
        sshTarget=_STRING,
        sshIdentity=_STRING,
    ),
    channelHealthCheckMinutes=_int(),
    channelStaleEventThresholdMinutes=_int(),
    channelMaxRestartsPerHour=_int(),
    nodes=_closed(pairing=_closed(autoApproveLocal=_BOOL)),
)

_LOGGING = _closed(
    level=_LOG_LEVEL,
    consoleLevel=_LOG_LEVEL,
    file=_STRING,
    maxFileBytes=_int(1),
    consoleStyle=_enum("pretty", "compact", "json"),
    redactSensitive=_enum("off", "tools"),
    redactPatterns=_STRINGS,
)

# Besides vars, OpenClaw takes plain string entries (env: {NAME: "value"}) as inline variables.
_ENV = {
    "type": "object",
    "properties": {
        "vars": {"type": "object", "additionalProperties": _STRING},
        "shellEnv": _closed(enabled=_BOOL, timeoutMs=_int()),
    },
    "additionalProperties": _STRING,
}

# Provider entries are checked by the secrets resolver.
_SECRETS = _closed(
    providers={"type": "object", "additionalProperties": _OPEN},
    defaults=_OPEN,
    resolution=_OPEN,
)

# The parts of `agents` the gateway already reads are typed; the rest stays open
# until the agent runtime brings its schema.
_AGENTS = {
    "type": "object",
    "properties": {
        "list": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string", "minLength": 1}, "default": _BOOL, "name": _STRING},
            },
        },
        "defaults": {
            "type": "object",
            "properties": {
                "workspace": _STRING,
                "heartbeat": {
                    "type": "object",
                    "properties": {"every": _STRING, "prompt": _STRING, "target": _STRING, "ackMaxChars": _int()},
                },
            },
        },
    },
}

# Sections owned by features not built yet: accepted with open contents until
# each feature brings its own schema.
_LATER_SECTIONS = (
    "channels", "models", "hooks", "session", "messages", "tools", "plugins",
    "commands", "ui", "wizard", "meta", "cron", "browser", "skills", "talk", "update",
    "diagnostics", "auth", "identity", "broadcast", "audio", "approvals", "memory",
    "nodeHost", "canvasHost", "discovery", "web",
)

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "$schema": _STRING,
        "gateway": _GATEWAY,
        "logging": _LOGGING,
        "env": _ENV,
        "secrets": _SECRETS,
        # Routing rules are a list, not an object.
        "bindings": {"type": "array", "items": _OPEN},
        "agents": _AGENTS,
        **{name: _OPEN for name in _LATER_SECTIONS},
    },
    "definitions": {
        "secretRef": {
            **_closed(source=_enum("env", "file", "exec"), provider=_STRING, id=_STRING),
            "required": ["source", "provider", "id"],
        },
        "secretInput": {
            "title": "a string or a SecretRef object",
            "anyOf": [_STRING, {"$ref": "#/definitions/secretRef"}],
        },
    },
}

_IS_VALID = fastjsonschema.compile(SCHEMA, use_default=False)

_HINTS = {
    "gateway.token": 'Found "gateway.token" in config. Use "gateway.auth.token" instead.',
}

_TYPE_NAMES = {
    bool: "boolean", int: "integer", float: "number", str: "string",
    list: "array", dict: "object", type(None): "null",
}


def validate(raw: Any) -> list[str]:
    """Every problem with C{raw}, as sorted C{<dotted.path>: <message>} lines."""
    try:
        _IS_VALID(raw)
        return check_rules(raw)
    except fastjsonschema.JsonSchemaException as e:
        fallback = f"<root>: {e.message}"
    # Only a broken file pays for jsonschema, which names every problem.
    from jsonschema import Draft7Validator

    issues: set[str] = set()
    for error in Draft7Validator(SCHEMA).iter_errors(raw):
        issues.update(_describe(error))
    return (sorted(issues) or [fallback]) + check_rules(raw)


def _describe(error: ValidationError) -> list[str]:
    path = _path(error)
    instance = error.instance
    kind = error.validator
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        return [_unknown_key(path, key) for key in instance if key not in known]
    if kind == "anyOf":
        return _describe_any_of(error, path)
    if kind == "required":
        missing = [key for key in error.validator_value if key not in instance]
        return [f'{path}: missing required key "{key}"' for key in missing]
    if kind == "type":
        return [f"{path}: expected {_expected(error.validator_value)}, got {_type_name(instance)}"]
    if kind == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value)
        return [f"{path}: must be one of {allowed} (got {json.dumps(instance)})"]
    if kind == "minimum":
        return [f"{path}: must be at least {error.validator_value} (got {instance})"]
    if kind == "maximum":
        return [f"{path}: must be at most {error.validator_value} (got {instance})"]
    if kind == "pattern":
        return [f"{path}: must match {error.validator_value} (got {json.dumps(instance)})"]
    return [f"{path}: {error.message}"]


def _describe_any_of(error: ValidationError, path: str) -> list[str]:
    """
    Report the errors of the alternative whose type fits the value (say, the
    SecretRef branch for an object), or else name what was expected.
    """
    mismatched = {
        e.schema_path[0]
        for e in error.context
        if e.validator in ("type", "const") and not e.relative_path
    }
    fitting = [e for e in error.context if e.schema_path[0] not in mismatched]
    if fitting:
        return [line for e in fitting for line in _describe(e)]
    return [f"{path}: expected {error.schema['title']}, got {_type_name(error.instance)}"]


def _unknown_key(path: str, key: str) -> str:
    line = f'{path}: unknown key "{key}"'
    hint = _HINTS.get(f"{path}.{key}")
    return f"{line}. {hint}" if hint else line


def _path(error: ValidationError) -> str:
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "<root>"


def _expected(types: str | list[str]) -> str:
    return " or ".join([types] if isinstance(types, str) else types)


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)
