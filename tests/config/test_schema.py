"""Strict validation: the JSON Schema and the extra gateway rules."""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator

from openclaw.config.schema import SCHEMA, validate

BOTH_SECRETS = (
    "gateway.auth.mode: Invalid config: gateway.auth.token and gateway.auth.password are both "
    "configured, but gateway.auth.mode is unset. Set gateway.auth.mode to token or password."
)

REF = {"source": "env", "provider": "default", "id": "OPENCLAW_GATEWAY_TOKEN"}

FULL_GATEWAY = {
    "mode": "local",
    "port": 18789,
    "bind": "custom",
    "customBindHost": "192.168.1.10",
    "auth": {
        "mode": "trusted-proxy",
        "token": REF,
        "password": "pw",
        "allowTailscale": False,
        "trustedProxy": {
            "userHeader": "x-user",
            "requiredHeaders": ["x-a"],
            "allowUsers": ["me"],
            "allowLoopback": True,
        },
        "rateLimit": {"maxAttempts": 10, "windowMs": 60000, "lockoutMs": 300000, "exemptLoopback": True},
    },
    "trustedProxies": ["10.0.0.0/8"],
    "allowRealIpFallback": False,
    "reload": {"mode": "hybrid", "debounceMs": 300, "deferralTimeoutMs": 300000},
    "controlUi": {
        "enabled": True,
        "basePath": "/ui",
        "root": "/srv/ui",
        "allowedOrigins": ["https://a"],
        "dangerouslyAllowHostHeaderOriginFallback": False,
        "allowInsecureAuth": False,
        "dangerouslyDisableDeviceAuth": False,
    },
    "http": {
        "endpoints": {"chatCompletions": {"enabled": True}, "responses": {"enabled": False}},
        "securityHeaders": {"strictTransportSecurity": "max-age=31536000"},
    },
    "tools": {"allow": ["a"], "deny": ["b"]},
    "tailscale": {"mode": "serve", "resetOnExit": True},
    "tls": {"enabled": True, "autoGenerate": False, "certPath": "c", "keyPath": "k", "caPath": "ca"},
    "remote": {
        "url": "wss://gw.example:18789",
        "transport": "direct",
        "token": "t",
        "password": REF,
        "tlsFingerprint": "ab:cd",
        "sshTarget": "me@host:22",
        "sshIdentity": "~/.ssh/id",
    },
    "channelHealthCheckMinutes": 0,
    "channelStaleEventThresholdMinutes": 30,
    "channelMaxRestartsPerHour": 10,
    "nodes": {"pairing": {"autoApproveLocal": True}},
}


def test_schema_is_valid_draft_07():
    Draft7Validator.check_schema(SCHEMA)


def test_empty_config_is_valid():
    assert validate({}) == []


def test_every_documented_key_is_accepted():
    config = {
        "$schema": "./schema.json",
        "gateway": FULL_GATEWAY,
        "logging": {
            "level": "debug",
            "consoleLevel": "silent",
            "file": "/tmp/x.log",
            "maxFileBytes": 1024,
            "consoleStyle": "json",
            "redactSensitive": "off",
            "redactPatterns": ["sk-.*"],
        },
        "env": {"vars": {"A": "1"}, "shellEnv": {"enabled": True, "timeoutMs": 15000}, "B": "2"},
        "secrets": {
            "providers": {"default": {"source": "env", "anything": [1]}},
            "defaults": {"env": "default"},
            "resolution": {"maxProviderConcurrency": 4},
        },
        "bindings": [{"agentId": "main", "match": {"channel": "telegram"}}],
        "agents": {"defaults": {"workspace": "~/w", "whatever": 1}},
        "channels": {"telegram": {"botToken": REF}},
    }
    assert validate(config) == []


def test_root_must_be_an_object():
    assert validate([]) == ["<root>: expected object, got array"]


@pytest.mark.parametrize(
    "config, issue",
    [
        ({"nope": 1}, '<root>: unknown key "nope"'),
        ({"gateway": {"listen": 1}}, 'gateway: unknown key "listen"'),
        ({"gateway": {"auth": {"trustedProxy": {"x": 1}}}}, 'gateway.auth.trustedProxy: unknown key "x"'),
        ({"gateway": {"http": {"endpoints": {"responses": {"maxBodyByte": 1}}}}},
         'gateway.http.endpoints.responses: unknown key "maxBodyByte"'),
        ({"logging": {"style": "pretty"}}, 'logging: unknown key "style"'),
        ({"env": {"shellEnv": {"command": "sh"}}}, 'env.shellEnv: unknown key "command"'),
        ({"secrets": {"provider": {}}}, 'secrets: unknown key "provider"'),
    ],
)
def test_unknown_keys_are_named(config, issue):
    assert validate(config) == [issue]


def test_gateway_token_gets_the_legacy_hint():
    assert validate({"gateway": {"token": "abc"}}) == [
        'gateway: unknown key "token". Found "gateway.token" in config. Use "gateway.auth.token" instead.'
    ]


@pytest.mark.parametrize(
    "config, issue",
    [
        ({"gateway": {"mode": "server"}}, 'gateway.mode: must be one of "local", "remote" (got "server")'),
        ({"gateway": {"bind": "0.0.0.0"}},
         'gateway.bind: must be one of "loopback", "lan", "tailnet", "auto", "custom" (got "0.0.0.0")'),
        ({"gateway": {"auth": {"mode": "oauth"}}},
         'gateway.auth.mode: must be one of "none", "token", "password", "trusted-proxy" (got "oauth")'),
        ({"gateway": {"reload": {"mode": 1}}},
         'gateway.reload.mode: must be one of "off", "hot", "restart", "hybrid" (got 1)'),
        ({"gateway": {"tailscale": {"mode": "on"}}},
         'gateway.tailscale.mode: must be one of "off", "serve", "funnel" (got "on")'),
        ({"gateway": {"remote": {"transport": "tcp"}}},
         'gateway.remote.transport: must be one of "ssh", "direct" (got "tcp")'),
        ({"logging": {"level": "verbose"}},
         'logging.level: must be one of "silent", "fatal", "error", "warn", "info", "debug", "trace" (got "verbose")'),
        ({"logging": {"consoleLevel": "warning"}},
         'logging.consoleLevel: must be one of "silent", "fatal", "error", "warn", "info", "debug", "trace" (got "warning")'),
        ({"logging": {"consoleStyle": "fancy"}},
         'logging.consoleStyle: must be one of "pretty", "compact", "json" (got "fancy")'),
        ({"logging": {"redactSensitive": "all"}},
         'logging.redactSensitive: must be one of "off", "tools" (got "all")'),
    ],
)
def test_enums_list_the_allowed_values(config, issue):
    assert validate(config) == [issue]


@pytest.mark.parametrize(
    "config, issue",
    [
        ({"gateway": {"port": "18789"}}, "gateway.port: expected integer, got string"),
        ({"gateway": {"port": True}}, "gateway.port: expected integer, got boolean"),
        ({"gateway": {"port": 1.5}}, "gateway.port: expected integer, got number"),
        ({"gateway": {"port": 0}}, "gateway.port: must be at least 1 (got 0)"),
        ({"gateway": {"port": 65536}}, "gateway.port: must be at most 65535 (got 65536)"),
        ({"gateway": {"trustedProxies": "10.0.0.1"}}, "gateway.trustedProxies: expected array, got string"),
        ({"gateway": {"trustedProxies": ["a", 1]}}, "gateway.trustedProxies[1]: expected string, got integer"),
        ({"gateway": {"controlUi": {"enabled": "yes"}}}, "gateway.controlUi.enabled: expected boolean, got string"),
        ({"gateway": {"reload": {"debounceMs": -1}}}, "gateway.reload.debounceMs: must be at least 0 (got -1)"),
        ({"gateway": {"remote": {"url": "http://x"}}}, 'gateway.remote.url: must match ^wss?:// (got "http://x")'),
        ({"gateway": None}, "gateway: expected object, got null"),
        ({"logging": {"maxFileBytes": 0}}, "logging.maxFileBytes: must be at least 1 (got 0)"),
        ({"logging": {"redactPatterns": [1]}}, "logging.redactPatterns[0]: expected string, got integer"),
        ({"env": {"vars": {"A": 1}}}, "env.vars.A: expected string, got integer"),
        ({"env": {"A": True}}, "env.A: expected string, got boolean"),
        ({"secrets": {"providers": {"p": "env"}}}, "secrets.providers.p: expected object, got string"),
        ({"$schema": 1}, "$schema: expected string, got integer"),
        ({"agents": []}, "agents: expected object, got array"),
        ({"bindings": {}}, "bindings: expected array, got object"),
    ],
)
def test_wrong_types_and_ranges(config, issue):
    assert validate(config) == [issue]


@pytest.mark.parametrize("value", ["max-age=600", False])
def test_strict_transport_security_is_a_string_or_false(value):
    assert validate({"gateway": {"http": {"securityHeaders": {"strictTransportSecurity": value}}}}) == []


def test_strict_transport_security_true_is_rejected():
    config = {"gateway": {"http": {"securityHeaders": {"strictTransportSecurity": True}}}}
    assert validate(config) == [
        "gateway.http.securityHeaders.strictTransportSecurity: expected a string or false, got boolean"
    ]


@pytest.mark.parametrize("source", ["env", "file", "exec"])
def test_secret_ref_sources(source):
    ref = {"source": source, "provider": "p", "id": "X"}
    assert validate({"gateway": {"auth": {"mode": "token", "token": ref}}}) == []


@pytest.mark.parametrize(
    "token, issues",
    [
        (5, ["gateway.auth.token: expected a string or a SecretRef object, got integer"]),
        ({"source": "vault", "provider": "p", "id": "X"},
         ['gateway.auth.token.source: must be one of "env", "file", "exec" (got "vault")']),
        ({"source": "env", "provider": "p"}, ['gateway.auth.token: missing required key "id"']),
        ({"source": "env", "provider": "p", "id": "X", "extra": 1}, ['gateway.auth.token: unknown key "extra"']),
        ({}, [
            'gateway.auth.token: missing required key "id"',
            'gateway.auth.token: missing required key "provider"',
            'gateway.auth.token: missing required key "source"',
        ]),
    ],
)
def test_bad_secret_refs(token, issues):
    assert validate({"gateway": {"auth": {"mode": "token", "token": token}}}) == issues


def test_remote_credentials_take_secret_refs_too():
    assert validate({"gateway": {"remote": {"token": REF, "password": REF}}}) == []
    assert validate({"gateway": {"remote": {"password": ["x"]}}}) == [
        "gateway.remote.password: expected a string or a SecretRef object, got array"
    ]


# --- rules beyond the schema ---------------------------------------------


def test_token_and_password_without_mode():
    assert validate({"gateway": {"auth": {"token": "t", "password": "p"}}}) == [BOTH_SECRETS]


def test_token_ref_and_password_without_mode():
    assert validate({"gateway": {"auth": {"token": REF, "password": "p"}}}) == [BOTH_SECRETS]


@pytest.mark.parametrize("mode", ["token", "password"])
def test_token_and_password_with_mode_is_fine(mode):
    assert validate({"gateway": {"auth": {"mode": mode, "token": "t", "password": "p"}}}) == []


@pytest.mark.parametrize("auth", [{"token": "t"}, {"password": "p"}, {}])
def test_one_secret_without_mode_is_fine(auth):
    assert validate({"gateway": {"auth": auth}}) == []


@pytest.mark.parametrize("value", ["", "   ", "undefined", "null"])
def test_placeholder_token_is_rejected(value):
    assert validate({"gateway": {"auth": {"mode": "token", "token": value}}}) == [
        'gateway.auth.token: must not be empty, "undefined" or "null"'
    ]


def test_placeholder_password_is_rejected_and_not_counted_as_configured():
    assert validate({"gateway": {"auth": {"token": "t", "password": "null"}}}) == [
        'gateway.auth.password: must not be empty, "undefined" or "null"'
    ]


@pytest.mark.parametrize("gateway", [{"bind": "custom"}, {"bind": "custom", "customBindHost": "  "}])
def test_custom_bind_needs_a_host(gateway):
    assert validate({"gateway": gateway}) == [
        "gateway.customBindHost: gateway.bind=custom requires gateway.customBindHost"
    ]


@pytest.mark.parametrize("host", ["localhost", "::1", "192.168.001.100", "10.0.0.256"])
def test_custom_bind_needs_an_ipv4_host(host):
    assert validate({"gateway": {"bind": "custom", "customBindHost": host}}) == [
        f"gateway.customBindHost: gateway.bind=custom requires a valid IPv4 customBindHost (got {host})"
    ]


def test_custom_bind_with_ipv4_host_is_fine():
    assert validate({"gateway": {"bind": "custom", "customBindHost": " 10.1.2.3 "}}) == []


def test_custom_bind_host_is_ignored_for_other_binds():
    assert validate({"gateway": {"bind": "lan", "customBindHost": "not-an-ip"}}) == []


def test_issues_are_sorted_with_rule_issues_last():
    config = {
        "zeta": 1,
        "gateway": {"port": 0, "bind": "custom", "auth": {"token": "t", "password": "p"}},
        "alpha": 1,
    }
    issues = [
        '<root>: unknown key "alpha"',
        '<root>: unknown key "zeta"',
        "gateway.port: must be at least 1 (got 0)",
        BOTH_SECRETS,
        "gateway.customBindHost: gateway.bind=custom requires gateway.customBindHost",
    ]
    assert validate(config) == issues
    assert validate(config) == issues


def test_rules_tolerate_wrong_types():
    assert validate({"gateway": {"auth": "token", "bind": ["custom"]}}) == [
        'gateway.auth: expected object, got string',
        'gateway.bind: must be one of "loopback", "lan", "tailnet", "auto", "custom" (got ["custom"])',
    ]
