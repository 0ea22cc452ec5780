"""Changed config paths and what each needs: nothing, a hot action, or a restart."""

from __future__ import annotations

import pytest

from openclaw.config.diff import HOT, NONE, RESTART, changed_paths, kind_of, plan


def test_changed_paths_recurse_objects_and_compare_arrays_whole():
    old = {"gateway": {"port": 1, "auth": {"token": "a"}}, "bindings": [1, 2], "logging": {"level": "info"}}
    new = {"gateway": {"port": 2, "auth": {"token": "a"}}, "bindings": [1, 3], "ui": {"x": 1}}
    assert changed_paths(old, new) == ["bindings", "gateway.port", "logging", "ui"]
    assert changed_paths(old, old) == []
    assert changed_paths({"a": None}, {}) == ["a"]
    assert changed_paths([], {}) == ["<root>"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("gateway.port", RESTART),
        ("gateway.bind", RESTART),
        ("gateway.auth.mode", RESTART),
        ("gateway.tls.enabled", RESTART),
        ("gateway.reload.mode", NONE),
        ("gateway.remote.url", NONE),
        ("gateway.auth.token", HOT),
        ("gateway.auth.rateLimit.maxAttempts", HOT),
        ("gateway.controlUi.allowedOrigins", HOT),
        ("gateway.controlUi.basePath", RESTART),
        ("logging.level", HOT),
        ("channels.telegram.botToken", HOT),
        ("agents.list", HOT),
        ("hooks.enabled", HOT),
        ("models.providers", HOT),
        ("session.scope", HOT),
        ("messages.queue.mode", HOT),
        ("tools.profile", HOT),
        ("plugins.entries", RESTART),
        ("discovery.mdns", RESTART),
        ("somethingNew.key", RESTART),
        ("<root>", RESTART),
    ],
)
def test_classification_by_longest_prefix(path, kind):
    assert kind_of(path) == kind


def test_a_secret_change_restarts_when_the_auth_mode_changes():
    assert kind_of("gateway.auth.password", sameAuthMode=False) == RESTART
    assert kind_of("gateway.auth.password", sameAuthMode=True) == HOT


def test_plan_groups_paths_and_sections():
    old = {"gateway": {"auth": {"token": "a"}}, "logging": {"level": "info"}, "channels": {"irc": {"host": "a"}}}
    new = {"gateway": {"auth": {"token": "b"}, "port": 9}, "logging": {"level": "debug"},
           "channels": {"irc": {"host": "b"}}, "ui": {"x": 1}}
    p = plan(old, new)
    assert p.changed == ("channels.irc.host", "gateway.auth.token", "gateway.port", "logging.level", "ui")
    assert p.restart == ("gateway.port",)
    assert p.hot == ("channels.irc.host", "gateway.auth.token", "logging.level")
    assert p.noop == ("ui",)
    assert list(p.sectionPaths.items()) == [
        ("channels", ("channels.irc.host",)), ("auth", ("gateway.auth.token",)), ("logging", ("logging.level",))
    ]
    assert p.sections == {"channels", "auth", "logging"}
    assert p.restartRequired
    assert not plan(old, {**old, "ui": {}}).restartRequired
