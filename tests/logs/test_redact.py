from __future__ import annotations

import pytest

from openclaw.logs.redact import DEFAULT_PATTERNS, compile_patterns, mask, redact

LONG = "abcdefghijklmnopqrstuvwxyz"  # 26 characters
LONG_MASKED = "abcdef\u2026wxyz"


def test_mask_keeps_ends_of_long_values_only():
    assert mask("a" * 17) == "***"
    assert mask("0123456789abcdefgh") == "012345\u2026efgh"  # exactly 18
    assert mask(LONG) == LONG_MASKED


def test_mask_leaves_masked_values_alone():
    assert mask("***") == "***"
    assert mask(LONG_MASKED) == LONG_MASKED


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"token={LONG}", f"token={LONG_MASKED}"),
        ("token=short", "token=***"),
        (f"OPENCLAW_GATEWAY_TOKEN={LONG} next", f"OPENCLAW_GATEWAY_TOKEN={LONG_MASKED} next"),
        ('password: "hunter2"', 'password: "***"'),
        ("secret: topsecretvalue", "secret: ***"),
        (f"apiKey={LONG}", f"apiKey={LONG_MASKED}"),
        (f"api_key = '{LONG}'", f"api_key = '{LONG_MASKED}'"),
        (f"https://h/x?token={LONG}&a=1", f"https://h/x?token={LONG_MASKED}&a=1"),
    ],
)
def test_key_assignments(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"openclaw gateway --token {LONG} --port 1", f"openclaw gateway --token {LONG_MASKED} --port 1"),
        ("openclaw gateway --password hunter2", "openclaw gateway --password ***"),
        ("openclaw x --password=hunter2", "openclaw x --password=***"),
        (f"openclaw x --gateway-token '{LONG}'", f"openclaw x --gateway-token '{LONG_MASKED}'"),
    ],
)
def test_cli_flags(text, expected):
    assert redact(text) == expected


def test_json_fields():
    text = (
        f'{{"token":"{LONG}","n":1,"password":"pw","apiKey": "{LONG}",'
        f'"deviceToken":"{LONG}","secret":"s3cr3t","name":"ok"}}'
    )
    assert redact(text) == (
        f'{{"token":"{LONG_MASKED}","n":1,"password":"***","apiKey": "{LONG_MASKED}",'
        f'"deviceToken":"{LONG_MASKED}","secret":"***","name":"ok"}}'
    )


def test_escaped_json_and_python_reprs():
    assert redact(f'{{\\"token\\":\\"{LONG}\\"}}') == f'{{\\"token\\":\\"{LONG_MASKED}\\"}}'
    assert redact(str({"token": LONG, "password": "pw", "n": 1})) == (
        f"{{'token': '{LONG_MASKED}', 'password': '***', 'n': 1}}"
    )


def test_authorization_header():
    assert redact("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig") == (
        "Authorization: Bearer eyJhbG\u2026.sig"
    )
    assert redact("authorization: Basic dXNlcjpwYXNz") == "authorization: Basic ***"


def test_pem_block():
    text = (
        "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nq2x9\n"
        "-----END RSA PRIVATE KEY-----\nafter"
    )
    assert redact(text) == (
        "key:\n-----BEGIN RSA PRIVATE KEY-----\n\u2026redacted\u2026\n"
        "-----END RSA PRIVATE KEY-----\nafter"
    )


@pytest.mark.parametrize(
    "secret",
    [
        "sk-proj-abcdefghijklmnop1234",
        "sk-ant-api03-abcdefghijklmnopqrst",
        "ghp_abcdefghijklmnopqrstuvwxyz0123",
        "xoxb-1234567890-abcdefghijkl",
        "xoxp-1234567890-abcdefghijkl",
    ],
)
def test_vendor_prefixes(secret):
    out = redact(f"using {secret} now")
    assert secret not in out
    assert out == f"using {secret[:6]}\u2026{secret[-4:]} now"


def test_ordinary_text_is_untouched():
    text = (
        "unauthorized conn=8e385ecf role=operator scopes=0 auth=token device=no "
        "reason=token_mismatch guidance=unauthorized: gateway token mismatch "
        "(use this gateway's gateway.auth.token or pair the device) max_tokens=100"
    )
    assert redact(text) == text
    assert redact("") == ""


def test_redact_is_idempotent():
    once = redact(f"token={LONG} password=hunter2 sk-proj-abcdefghijklmnop1234")
    assert redact(once) == once


def test_custom_patterns_replace_defaults():
    assert redact("foo=bar token=hunter2", [r"foo=(\w+)"]) == "foo=*** token=hunter2"


def test_custom_patterns_are_case_insensitive_unless_slashed():
    assert redact("FOO=bar", [r"foo=(\w+)"]) == "FOO=***"
    assert redact("FOO=bar", [r"/foo=(\w+)/g"]) == "FOO=bar"
    assert redact("FOO=bar", [r"/foo=(\w+)/gi"]) == "FOO=***"


def test_custom_pattern_without_group_masks_whole_match():
    assert redact("id 123-45-6789 ok", [r"\d{3}-\d{2}-\d{4}"]) == "id *** ok"


def test_js_named_groups_and_invalid_patterns():
    assert redact("k=abc", [r"k=(?<v>\w+)", r"([unclosed"]) == "k=***"


def test_empty_custom_list_means_defaults():
    assert redact("token=hunter2", []) == "token=***"


def test_patterns_compile_once():
    assert compile_patterns(None) is compile_patterns(None)
    assert compile_patterns(None) is compile_patterns(list(DEFAULT_PATTERNS))
    assert compile_patterns(["a(b)"]) is compile_patterns(("a(b)",))
