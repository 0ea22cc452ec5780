"""Reading the config file: JSON5, $include, ${VAR} substitution, env layering."""

from __future__ import annotations

import os

import pytest

from openclaw.config.environ import apply_env_vars, config_environ
from openclaw.config.includes import MAX_INCLUDE_BYTES
from openclaw.config.load import (
    ConfigError,
    load_config,
    load_source,
    read_config,
    read_source,
)


def write(directory, name: str, text: str) -> str:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def error_of(path: str, environ=None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        read_config(path, environ or {})
    return caught.value


# --- file format ---------------------------------------------------------


def test_missing_file_is_none(tmp_path):
    assert read_config(str(tmp_path / "openclaw.json"), {}) is None
    assert load_config(str(tmp_path / "openclaw.json"), {}) is None


def test_json5_comments_trailing_commas_unquoted_keys(tmp_path):
    path = write(
        tmp_path,
        "openclaw.json",
        """
        // a comment
        {
          /* block */ gateway: { mode: 'local', port: 18789, },
          "logging": { level: "info", },
        }
        """,
    )
    assert read_config(path, {}) == {
        "gateway": {"mode": "local", "port": 18789},
        "logging": {"level": "info"},
    }


def test_root_must_be_object(tmp_path):
    path = write(tmp_path, "openclaw.json", "[1, 2]")
    err = error_of(path)
    assert err.path == path
    assert err.issues == [f"{path}: the config root must be an object"]


def test_parse_error_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "openclaw.json", "{\n  gateway: {\n    port: ,\n  },\n}\n")
    assert error_of(path).issues == [f'{path}:3:11: invalid JSON5: Unexpected ","']


def test_empty_file_is_a_parse_error(tmp_path):
    path = write(tmp_path, "openclaw.json", "")
    assert error_of(path).issues == [
        f"{path}: invalid JSON5: Empty strings are not legal JSON5"
    ]


def test_directory_is_not_a_config_file(tmp_path):
    (tmp_path / "openclaw.json").mkdir()
    path = str(tmp_path / "openclaw.json")
    assert error_of(path).issues == [f"{path}: not a regular file"]


def test_error_text_is_issues_joined_by_newlines(tmp_path):
    path = write(tmp_path, "openclaw.json", '{a: "${ONE_X}", b: "${TWO_X}"}')
    err = error_of(path)
    assert str(err) == "a: missing environment variable ONE_X\nb: missing environment variable TWO_X"


# --- $include ------------------------------------------------------------


def test_include_replaces_the_object(tmp_path):
    write(tmp_path, "gateway.json5", "{ port: 1234, mode: 'local' }")
    path = write(tmp_path, "openclaw.json", "{ gateway: { $include: './gateway.json5' } }")
    assert read_config(path, {}) == {"gateway": {"port": 1234, "mode": "local"}}


def test_include_at_root(tmp_path):
    write(tmp_path, "base.json5", "{ gateway: { port: 1 } }")
    path = write(tmp_path, "openclaw.json", "{ $include: 'base.json5' }")
    assert read_config(path, {}) == {"gateway": {"port": 1}}


def test_include_list_deep_merges_in_order_later_wins(tmp_path):
    write(tmp_path, "a.json5", "{ gateway: { port: 1, mode: 'local', auth: { mode: 'token' } } }")
    write(tmp_path, "b.json5", "{ gateway: { port: 2, auth: { token: 't' } } }")
    path = write(tmp_path, "openclaw.json", "{ $include: ['a.json5', 'b.json5'] }")
    assert read_config(path, {}) == {
        "gateway": {"port": 2, "mode": "local", "auth": {"mode": "token", "token": "t"}}
    }


def test_include_list_concatenates_arrays(tmp_path):
    write(tmp_path, "a.json5", "{ trustedProxies: ['10.0.0.1'] }")
    write(tmp_path, "b.json5", "{ trustedProxies: ['10.0.0.2'] }")
    path = write(tmp_path, "openclaw.json", "{ gateway: { $include: ['a.json5', 'b.json5'] } }")
    assert read_config(path, {}) == {"gateway": {"trustedProxies": ["10.0.0.1", "10.0.0.2"]}}


def test_sibling_keys_override_the_include(tmp_path):
    write(tmp_path, "gateway.json5", "{ port: 1, mode: 'remote', auth: { mode: 'token', token: 'a' } }")
    path = write(
        tmp_path,
        "openclaw.json",
        "{ gateway: { $include: 'gateway.json5', mode: 'local', auth: { token: 'b' } } }",
    )
    assert read_config(path, {}) == {
        "gateway": {"port": 1, "mode": "local", "auth": {"mode": "token", "token": "b"}}
    }


def test_sibling_keys_need_an_object_include(tmp_path):
    write(tmp_path, "list.json5", "[1]")
    path = write(tmp_path, "openclaw.json", "{ x: { $include: 'list.json5', y: 1 } }")
    assert error_of(path).issues == [
        f"{path}: $include with sibling keys needs the included content to be an object"
    ]


def test_nested_includes_resolve_relative_to_the_including_file(tmp_path):
    write(tmp_path, "parts/auth.json5", "{ mode: 'token' }")
    write(tmp_path, "parts/gateway.json5", "{ auth: { $include: './auth.json5' } }")
    path = write(tmp_path, "openclaw.json", "{ gateway: { $include: 'parts/gateway.json5' } }")
    source = read_source(path, {})
    assert source.config == {"gateway": {"auth": {"mode": "token"}}}
    assert source.included == (
        str(tmp_path / "parts/gateway.json5"),
        str(tmp_path / "parts/auth.json5"),
    )


def test_no_includes_lists_no_files(tmp_path):
    path = write(tmp_path, "openclaw.json", "{}")
    assert read_source(path, {}).included == ()


def test_same_file_twice_is_not_circular(tmp_path):
    write(tmp_path, "port.json5", "{ port: 1 }")
    path = write(
        tmp_path, "openclaw.json", "{ a: { $include: 'port.json5' }, b: { $include: 'port.json5' } }"
    )
    source = read_source(path, {})
    assert source.config == {"a": {"port": 1}, "b": {"port": 1}}
    assert source.included == (str(tmp_path / "port.json5"),)


def test_circular_include_is_an_error(tmp_path):
    a = write(tmp_path, "a.json5", "{ $include: 'b.json5' }")
    b = write(tmp_path, "b.json5", "{ $include: 'a.json5' }")
    path = write(tmp_path, "openclaw.json", "{ $include: 'a.json5' }")
    assert error_of(path).issues == [f"{b}: circular $include: {path} -> {a} -> {b} -> {a}"]


def test_including_the_main_file_is_circular(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ x: { $include: 'openclaw.json' } }")
    assert error_of(path).issues == [f"{path}: circular $include: {path} -> {path}"]


def test_nesting_ten_levels_is_allowed_eleven_is_not(tmp_path):
    for level in range(1, 11):
        write(tmp_path, f"l{level}.json5", f"{{ n{level}: {{ $include: 'l{level + 1}.json5' }} }}")
    write(tmp_path, "l11.json5", "{ end: true }")
    path = write(tmp_path, "openclaw.json", "{ $include: 'l1.json5' }")
    err = error_of(path)
    assert err.issues == [
        f'{tmp_path / "l10.json5"}: $include "l11.json5" is nested more than 10 levels deep'
    ]
    write(tmp_path, "l10.json5", "{ end: true }")
    config = read_config(path, {})
    for level in range(1, 10):
        config = config[f"n{level}"]
    assert config == {"end": True}


def test_missing_include_names_the_file(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ gateway: { $include: './nope.json5' } }")
    err = error_of(path)
    missing = str(tmp_path / "nope.json5")
    assert err.issues == [f'{path}: $include "./nope.json5" not found: {missing}']
    assert err.included == [missing]


def test_parse_error_in_include_names_the_included_file(tmp_path):
    bad = write(tmp_path, "bad.json5", "{\n  port: 1\n  mode: 'x'\n}")
    path = write(tmp_path, "openclaw.json", "{ gateway: { $include: 'bad.json5' } }")
    assert error_of(path).issues == [f'{bad}:3:3: invalid JSON5: Unexpected "m"']


def test_include_value_must_be_string_or_strings(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ $include: ['a.json5', 3] }")
    assert error_of(path).issues == [
        f"{path}: $include must be a string or an array of strings"
    ]


def test_include_outside_the_config_directory_is_refused(tmp_path):
    config_dir = tmp_path / "config"
    write(tmp_path, "shared/gateway.json5", "{ port: 1 }")
    path = write(config_dir, "openclaw.json", "{ gateway: { $include: '../shared/gateway.json5' } }")
    assert error_of(path).issues == [
        f'{path}: $include "../shared/gateway.json5" resolves outside the config directory '
        f"{config_dir} (list extra directories in OPENCLAW_INCLUDE_ROOTS)"
    ]


def test_absolute_include_outside_is_refused(tmp_path):
    outside = write(tmp_path, "shared/gateway.json5", "{ port: 1 }")
    path = write(tmp_path / "config", "openclaw.json", f"{{ gateway: {{ $include: '{outside}' }} }}")
    assert "resolves outside the config directory" in error_of(path).issues[0]


def test_include_roots_allow_other_directories(tmp_path):
    write(tmp_path, "shared/gateway.json5", "{ port: 1 }")
    path = write(tmp_path / "config", "openclaw.json", "{ gateway: { $include: '../shared/gateway.json5' } }")
    environ = {"OPENCLAW_INCLUDE_ROOTS": os.pathsep.join(["/nonexistent", str(tmp_path / "shared")])}
    assert read_config(path, environ) == {"gateway": {"port": 1}}


def test_include_roots_expand_tilde_against_openclaw_home(tmp_path):
    write(tmp_path, "home/shared/gateway.json5", "{ port: 1 }")
    path = write(tmp_path / "config", "openclaw.json", "{ gateway: { $include: '../home/shared/gateway.json5' } }")
    environ = {"OPENCLAW_HOME": str(tmp_path / "home"), "OPENCLAW_INCLUDE_ROOTS": "~/shared"}
    assert read_config(path, environ) == {"gateway": {"port": 1}}


def test_symlink_out_of_the_config_directory_is_refused(tmp_path):
    outside = write(tmp_path, "secret.json5", "{ port: 1 }")
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "link.json5").symlink_to(outside)
    path = write(config_dir, "openclaw.json", "{ gateway: { $include: 'link.json5' } }")
    assert 'resolves outside the config directory' in error_of(path).issues[0]


def test_include_larger_than_two_megabytes_is_refused(tmp_path):
    big = write(tmp_path, "big.json5", "{ x: '" + "a" * MAX_INCLUDE_BYTES + "' }")
    path = write(tmp_path, "openclaw.json", "{ $include: 'big.json5' }")
    assert error_of(path).issues == [f"{big}: included file is larger than 2097152 bytes"]


# --- ${VAR} substitution -------------------------------------------------


def test_full_and_partial_substitution(tmp_path):
    path = write(
        tmp_path,
        "openclaw.json",
        "{ gateway: { auth: { token: '${OPENCLAW_T}' }, remote: { url: 'wss://${HOST}:${PORT}/v1' } } }",
    )
    environ = {"OPENCLAW_T": "secret", "HOST": "example.org", "PORT": "443"}
    assert read_config(path, environ) == {
        "gateway": {"auth": {"token": "secret"}, "remote": {"url": "wss://example.org:443/v1"}}
    }


def test_escaped_reference_stays_literal(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ a: '$${HOME_X}', b: '$$${HOME_X}' }")
    assert read_config(path, {"HOME_X": "h"}) == {"a": "${HOME_X}", "b": "$${HOME_X}"}


def test_only_upper_case_names_are_references(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ a: '${lower}', b: '$UPPER', c: '${1X}' }")
    assert read_config(path, {}) == {"a": "${lower}", "b": "$UPPER", "c": "${1X}"}


def test_keys_and_non_strings_are_not_substituted(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ '${K}': 1, n: 2, b: true, z: null }")
    assert read_config(path, {"K": "k"}) == {"${K}": 1, "n": 2, "b": True, "z": None}


def test_missing_variable_names_the_config_path(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ gateway: { auth: { token: '${OPENCLAW_X}' } } }")
    err = error_of(path)
    assert err.path == path
    assert err.issues == ["gateway.auth.token: missing environment variable OPENCLAW_X"]


def test_empty_variable_is_missing(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ gateway: { trustedProxies: ['a', 'x${EMPTY}'] } }")
    assert error_of(path, {"EMPTY": ""}).issues == [
        "gateway.trustedProxies[1]: missing environment variable EMPTY"
    ]


def test_substitution_works_inside_included_files(tmp_path):
    write(tmp_path, "auth.json5", "{ token: '${TOKEN_X}' }")
    path = write(tmp_path, "openclaw.json", "{ gateway: { auth: { $include: 'auth.json5' } } }")
    assert read_config(path, {"TOKEN_X": "t"}) == {"gateway": {"auth": {"token": "t"}}}


def test_substitution_sees_the_config_env_block(tmp_path):
    path = write(
        tmp_path,
        "openclaw.json",
        "{ env: { vars: { BASE_X: 'https://a' }, INLINE_X: 'b' }, x: '${BASE_X}/${INLINE_X}' }",
    )
    environ: dict[str, str] = {}
    assert read_config(path, environ)["x"] == "https://a/b"
    assert environ == {}


def test_process_environment_beats_the_config_env_block(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ env: { vars: { BASE_X: 'config' } }, x: '${BASE_X}' }")
    assert read_config(path, {"BASE_X": "process"})["x"] == "process"


# --- environment layering ------------------------------------------------


def test_dotenv_layering_never_overrides(tmp_path):
    cwd = tmp_path / "cwd"
    state = tmp_path / "state"
    write(cwd, ".env", "A=cwd\nB=cwd\nC=cwd\n")
    write(state, ".env", "A=state\nB=state\nD=state\n")
    environ = config_environ({"A": "process", "E": ""}, str(state), str(cwd))
    assert environ == {"A": "process", "B": "cwd", "C": "cwd", "D": "state", "E": ""}


def test_dotenv_values_are_literal(tmp_path):
    write(tmp_path, ".env", "A=x\nB=${A}-y\nexport C='q w'\n")
    environ = config_environ({}, str(tmp_path / "none"), str(tmp_path))
    assert environ == {"A": "x", "B": "${A}-y", "C": "q w"}


def test_missing_dotenv_files_add_nothing(tmp_path):
    assert config_environ({"A": "1"}, str(tmp_path / "s"), str(tmp_path / "c")) == {"A": "1"}


def test_apply_env_vars_fills_only_missing_or_empty(tmp_path):
    config = {"env": {"vars": {"A": "config", "B": "config", "C": "c"}, "D": "inline"}}
    environ = {"A": "process", "B": ""}
    assert apply_env_vars(config, environ) == {"A": "process", "B": "config", "C": "c", "D": "inline"}
    assert environ == {"A": "process", "B": ""}


def test_apply_env_vars_skips_references_and_shell_env(tmp_path):
    config = {"env": {"vars": {"A": "${B}", "C": ""}, "shellEnv": {"enabled": True}}}
    assert apply_env_vars(config, {}) == {}
    assert apply_env_vars({}, {"X": "1"}) == {"X": "1"}


# --- load = read + validate ----------------------------------------------


def test_load_config_returns_a_valid_config(tmp_path):
    path = write(tmp_path, "openclaw.json", "{ gateway: { mode: 'local', auth: { token: '${T}' } } }")
    assert load_config(path, {"T": "abc"}) == {"gateway": {"mode": "local", "auth": {"token": "abc"}}}


def test_load_config_raises_with_every_issue(tmp_path):
    write(tmp_path, "gateway.json5", "{ port: 0, token: 'x' }")
    path = write(tmp_path, "openclaw.json", "{ gateway: { $include: 'gateway.json5' }, nope: {} }")
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert caught.value.path == path
    assert caught.value.issues == [
        '<root>: unknown key "nope"',
        "gateway.port: must be at least 1 (got 0)",
        'gateway: unknown key "token". Found "gateway.token" in config. '
        'Use "gateway.auth.token" instead.',
    ]
    assert caught.value.included == [str(tmp_path / "gateway.json5")]


def test_load_source_keeps_the_included_files(tmp_path):
    write(tmp_path, "logging.json5", "{ level: 'debug' }")
    path = write(tmp_path, "openclaw.json", "{ logging: { $include: 'logging.json5' } }")
    source = load_source(path, {})
    assert source.path == path
    assert source.config == {"logging": {"level": "debug"}}
    assert source.included == (str(tmp_path / "logging.json5"),)
