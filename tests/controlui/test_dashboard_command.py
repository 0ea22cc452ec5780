"""C{openclaw dashboard}: the Control UI URL of the local gateway, with the token in its fragment."""

from __future__ import annotations

import json
import webbrowser
from pathlib import Path

import pytest

from openclaw.cli import dashboard


def write(environ, gateway: dict, **top) -> None:
    path = Path(environ["OPENCLAW_CONFIG_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"gateway": {"mode": "local", **gateway}, **top}))


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    urls: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: urls.append(url) or True)
    return urls


def run(environ, *argv: str) -> int:
    return dashboard.main(list(argv), dict(environ))


def test_prints_the_url_with_the_token(environ, capsys, opened):
    write(environ, {"port": 19123, "auth": {"token": "tok/with+chars"}})
    assert run(environ) == 0
    out = capsys.readouterr().out
    assert "Dashboard URL: http://127.0.0.1:19123/#token=tok%2Fwith%2Bchars\n" in out
    assert opened == []  # no desktop in this environment: printed, not opened


def test_opens_a_browser_on_a_desktop_unless_told_not_to(environ, capsys, opened):
    write(environ, {"port": 19123, "auth": {"token": "t0k"}})
    desktop = {**environ, "DISPLAY": ":0"}
    assert run(desktop) == 0
    assert opened == ["http://127.0.0.1:19123/#token=t0k"] and "Opened in your browser." in capsys.readouterr().out
    assert run(desktop, "--no-open") == 0
    assert len(opened) == 1


def test_base_path_tls_and_json(environ, capsys, opened):
    write(environ, {"port": 19124, "auth": {"token": "t0k"}, "tls": {"enabled": True}, "controlUi": {"basePath": "/ops/"}})
    assert run(environ, "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"url": "https://127.0.0.1:19124/ops/#token=t0k", "opened": False}


def test_a_password_gateway_gets_no_fragment(environ, capsys, opened):
    write(environ, {"port": 19125, "auth": {"mode": "password", "password": "pw-123456"}})
    assert run(environ) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:19125/\n" in out and "pw-123456" not in out


def test_a_disabled_ui_is_an_error(environ, capsys, opened):
    write(environ, {"controlUi": {"enabled": False}})
    assert run(environ) == 1
    assert "gateway.controlUi.enabled is false" in capsys.readouterr().err


@pytest.mark.parametrize(
    "platform, env, expected",
    [("linux", {}, False), ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, True), ("darwin", {}, True), ("win32", {}, True)],
)
def test_has_desktop(platform, env, expected):
    assert dashboard.has_desktop(env, platform) is expected
