"""Editing the config by path: parsing paths, get/set/unset, schema knowledge, validated writes."""

from __future__ import annotations

import json
import os
import stat

import pytest

from openclaw.config.edit import (
    PathError,
    check_document,
    format_path,
    get_path,
    has_comments,
    included_at,
    known_path,
    parse_path,
    parse_value,
    read_document,
    set_path,
    unset_path,
    write_document,
)
from openclaw.config.load import ConfigError


@pytest.mark.parametrize(
    "text, parts",
    [
        ("gateway.auth.token", ["gateway", "auth", "token"]),
        ("agents.list[0].id", ["agents", "list", 0, "id"]),
        ('channels["my.bot"].enabled', ["channels", "my.bot", "enabled"]),
        ("channels['irc']", ["channels", "irc"]),
        ("a.b[2][3]", ["a", "b", 2, 3]),
    ],
)
def test_parse_path(text, parts):
    assert parse_path(text) == parts


@pytest.mark.parametrize(
    "text, message",
    [
        ("gateway..mode", "Invalid path (empty segment): gateway..mode"),
        (".gateway", "Invalid path (empty segment): .gateway"),
        ("gateway.", "Invalid path (empty segment): gateway."),
        ("a[x]", "Invalid path: a[x]"),
        ("a[0", "Invalid path: a[0"),
        ("", "Invalid path: empty"),
    ],
)
def test_bad_paths(text, message):
    with pytest.raises(PathError) as caught:
        parse_path(text)
    assert str(caught.value) == message


def test_format_path_round_trips():
    for text in ("gateway.auth.token", "agents.list[0].id", 'channels["my.bot"]'):
        assert format_path(parse_path(text)) == text


def test_get_set_unset_leave_the_original_alone():
    document = {"gateway": {"port": 1}, "agents": {"list": [{"id": "a"}]}}
    assert get_path(document, ["agents", "list", 0, "id"]) == "a"
    with pytest.raises(KeyError):
        get_path(document, ["gateway", "bind"])
    changed = set_path(document, ["gateway", "auth", "token"], "t")
    assert changed["gateway"] == {"port": 1, "auth": {"token": "t"}}
    assert document == {"gateway": {"port": 1}, "agents": {"list": [{"id": "a"}]}}
    appended = set_path(document, ["agents", "list", 1], {"id": "b"})
    assert [a["id"] for a in appended["agents"]["list"]] == ["a", "b"]
    removed = unset_path(document, ["gateway", "port"])
    assert removed["gateway"] == {} and document["gateway"] == {"port": 1}
    with pytest.raises(KeyError):
        unset_path(document, ["gateway", "nope"])


def test_set_refuses_to_walk_through_a_scalar_or_past_a_list_end():
    with pytest.raises(PathError):
        set_path({"gateway": {"port": 1}}, ["gateway", "port", "x"], 2)
    with pytest.raises(PathError):
        set_path({"agents": {"list": []}}, ["agents", "list", 3], {})


def test_known_path_follows_the_schema():
    assert known_path(["gateway", "port"])
    assert not known_path(["gateway", "nope"])
    assert not known_path(["nope"])
    assert not known_path(["gateway", "port", "x"])  # a scalar has no children
    assert known_path(["channels", "irc", "host"])  # an open section
    assert known_path(["agents", "list", 0, "id"])


def test_parse_value():
    assert parse_value("19001") == 19001
    assert parse_value("true") is True
    assert parse_value("{a: [1, 2]}") == {"a": [1, 2]}
    assert parse_value("2h") == "2h"
    with pytest.raises(ValueError):
        parse_value("2h", strict=True)


def test_has_comments_ignores_slashes_in_strings():
    assert has_comments('{a: 1 // note\n}')
    assert has_comments("/* x */ {}")
    assert not has_comments('{url: "http://x//y"}')
    assert not has_comments('{a: "quote \\" // still a string"}')


def test_included_at():
    document = {"gateway": {"$include": "./gw.json5", "port": 1}, "agents": {}}
    assert included_at(document, ["gateway", "auth", "token"]) == "gateway"
    assert included_at(document, ["agents", "list"]) is None
    assert included_at({"$include": "x"}, ["a"]) == "<root>"


def test_read_document(tmp_path):
    path = tmp_path / "openclaw.json"
    assert read_document(str(path)) == ({}, None)
    path.write_text("{gateway: {mode: 'local'}, // c\n}")
    document, text = read_document(str(path))
    assert document == {"gateway": {"mode": "local"}} and "// c" in text
    path.write_text("{oops")
    with pytest.raises(ConfigError):
        read_document(str(path))
    path.write_text("[1]")
    with pytest.raises(ConfigError) as caught:
        read_document(str(path))
    assert "root must be an object" in caught.value.issues[0]


def test_write_document_validates_first_and_keeps_a_backup(tmp_path):
    path = tmp_path / "openclaw.json"
    path.write_text('{"gateway": {"mode": "local"}}')
    with pytest.raises(ConfigError) as caught:
        write_document(str(path), {"gateway": {"port": "x"}}, {})
    assert caught.value.issues == ["gateway.port: expected integer, got string"]
    assert json.loads(path.read_text()) == {"gateway": {"mode": "local"}}
    assert not (tmp_path / "openclaw.json.bak").exists()
    write_document(str(path), {"gateway": {"mode": "local", "port": 19001}}, {})
    assert json.loads(path.read_text())["gateway"]["port"] == 19001
    assert json.loads((tmp_path / "openclaw.json.bak").read_text()) == {"gateway": {"mode": "local"}}
    for written in (path, tmp_path / "openclaw.json.bak"):
        assert stat.S_IMODE(os.stat(written).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_check_document_keeps_variables_and_splices_includes(tmp_path):
    path = tmp_path / "openclaw.json"
    (tmp_path / "gw.json5").write_text("{port: 'not a port'}")
    # ${VAR} that this process does not have is the gateway's business, not an issue.
    assert check_document(str(path), {"gateway": {"auth": {"token": "${UNSET_HERE}"}}}, {}) == []
    assert check_document(str(path), {"gateway": {"$include": "./gw.json5"}}, {}) == [
        "gateway.port: expected integer, got string"
    ]


def test_the_atomic_write_helper_sets_the_mode_and_leaves_no_temp_file(tmp_path):
    from openclaw.atomicfile import replacing, write_atomically

    target = tmp_path / "sub" / "f.json"
    write_atomically(str(target), "secret\n")
    assert target.read_text() == "secret\n" and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    write_atomically(str(target), b"public\n", mode=0o644)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    with pytest.raises(RuntimeError):
        with replacing(str(target), "never\n"):
            raise RuntimeError("refused")
    with pytest.raises(TypeError):
        write_atomically(str(target), 42)  # type: ignore[arg-type]  # fails while writing
    assert target.read_text() == "public\n" and os.listdir(target.parent) == ["f.json"]


def test_the_cli_identity_file_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    from openclaw.cli import identity

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        identity.store_token(str(tmp_path), "dev-1", "operator", "tok", [])
    assert os.listdir(tmp_path / "identity") == []
