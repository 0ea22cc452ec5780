from __future__ import annotations

import io
import json
import re
import time

import pytest
from twisted.logger import Logger, LogLevel

from openclaw.logs.console import ConsoleLogObserver, fields_tail, short_subsystem, use_color

T0 = 1795489278.192  # 08:31:18 in UTC+05:30
TOKEN = "abcdefghijklmnopqrstuvwxyz0123"
TOKEN_MASKED = "abcdef\u20260123"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def tz(monkeypatch):
    monkeypatch.setenv("TZ", "IST-05:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def event(namespace="gateway", level=LogLevel.info, fmt="hello", **fields):
    return {
        "log_namespace": namespace,
        "log_level": level,
        "log_format": fmt,
        "log_time": T0,
        "log_logger": object(),
        "log_source": None,
        **fields,
    }


def render(observer_kwargs, *events):
    stream = io.StringIO()
    observer = ConsoleLogObserver(stream, **observer_kwargs)
    for e in events:
        observer(e)
    return stream.getvalue()


def test_pretty_line():
    out = render({}, event("gateway", fmt="listening on {url}", url="ws://127.0.0.1:18789"))
    assert out == "08:31:18 INFO [gateway] listening on ws://127.0.0.1:18789\n"


def test_compact_drops_the_time():
    out = render({"style": "compact"}, event("gateway/reload", fmt="config reloaded"))
    assert out == "INFO [reload] config reloaded\n"


def test_json_style_is_the_file_record():
    out = render({"style": "json"}, event("gateway/ws", level=LogLevel.error, fmt="boom"))
    record = json.loads(out)
    assert out.count("\n") == 1
    assert record["0"] == '{"subsystem":"gateway/ws"}'
    assert record["message"] == "boom"
    assert record["_meta"]["logLevelName"] == "ERROR"
    assert record["time"] == "2026-11-24T08:31:18.192+05:30"


def test_unknown_style_falls_back_to_pretty():
    assert render({"style": "fancy"}, event()) == "08:31:18 INFO [gateway] hello\n"


@pytest.mark.parametrize(
    "subsystem, shown",
    [
        ("gateway", "gateway"),
        ("gateway/reload", "reload"),
        ("gateway/ws", "ws"),
        ("channels/turn/execution", "turn/execution"),
        ("providers/openai", "openai"),
        ("gateway/a/b/c", "b/c"),
        ("channels/telegram/bot", "telegram"),
        ("gateway/channels/discord", "channels/discord"),
        ("twisted.web.server", "twisted.web.server"),
        ("agent/embedded/run", "embedded/run"),
    ],
)
def test_subsystem_shortening(subsystem, shown):
    assert short_subsystem(subsystem) == shown
    assert f"[{shown}]" in render({"style": "compact"}, event(subsystem))


def test_level_filter():
    events = [event(level=LogLevel.lookupByName(n), fmt=n) for n in ("debug", "info", "warn", "error")]
    assert render({"level": "warn", "style": "compact"}, *events) == (
        "WARN [gateway] warn\nERROR [gateway] error\n"
    )
    assert render({"level": "silent"}, *events) == ""
    assert render({"level": "trace", "style": "compact"}, *events).count("\n") == 4


def test_warn_lines_carry_extra_fields():
    e = event(
        "gateway/ws",
        level=LogLevel.warn,
        fmt="unauthorized {conn}",
        conn="c1",
        peer="127.0.0.1:1",
        reason="token mismatch",
        scopes=0,
        ok=False,
        params={"a": [1, 2]},
        _private=1,
    )
    assert render({"style": "compact"}, e) == (
        'WARN [ws] unauthorized c1 peer=127.0.0.1:1 reason="token mismatch" scopes=0 ok=false '
        'params={"a":[1,2]}\n'
    )


def test_info_lines_do_not_carry_fields():
    e = event(fmt="hello", peer="x")
    assert render({"style": "compact"}, e) == "INFO [gateway] hello\n"


def test_fields_tail_is_capped_and_redacted():
    e = event(level=LogLevel.error, token=TOKEN, blob="x" * 5000)
    tail = fields_tail(e)
    assert len(tail) == 2048
    assert tail.endswith("\u2026")
    assert tail.startswith(f"token={TOKEN_MASKED} blob=xxx")


def test_secret_never_reaches_the_console():
    out = render(
        {"style": "pretty"},
        event(fmt=f"login with token={TOKEN}"),
        event(level=LogLevel.warn, fmt="auth {params}", params={"password": TOKEN}),
        event(level=LogLevel.error, fmt="failed", apiKey=TOKEN, headers={"Authorization": f"Bearer {TOKEN}"}),
    )
    assert TOKEN not in out
    assert out.count(TOKEN_MASKED) == 4


def test_colour_on_and_off():
    plain = render({"color": False}, event(level=LogLevel.error, fmt="bad"))
    assert "\x1b[" not in plain
    coloured = render({"color": True}, event(level=LogLevel.error, fmt="bad"))
    assert "\x1b[31mbad\x1b[0m" in coloured
    assert ANSI.sub("", coloured) == plain


@pytest.mark.parametrize(
    "isatty, env, expected",
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),
        (False, {"FORCE_COLOR": "1"}, True),
        (True, {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True),
        (True, {"FORCE_COLOR": "0"}, False),
    ],
)
def test_use_color(isatty, env, expected):
    assert use_color(isatty, env) is expected


def test_failure_traceback_on_console():
    stream = io.StringIO()
    log = Logger(namespace="gateway", observer=ConsoleLogObserver(stream, style="compact"))
    try:
        raise ValueError("nope")
    except ValueError:
        log.failure("crashed")
    out = stream.getvalue()
    assert out.startswith("FATAL [gateway] crashed\nTraceback")
    assert "ValueError: nope" in out


def test_configure_changes_the_next_line():
    stream = io.StringIO()
    observer = ConsoleLogObserver(stream, style="compact")
    observer(event(level=LogLevel.debug, fmt="hidden"))
    observer.configure(level="debug", style="pretty")
    observer(event(level=LogLevel.debug, fmt="shown"))
    other = io.StringIO()
    observer.configure(stream=other, redactPatterns=[r"pin=(\d+)"])
    observer(event(fmt="pin=1234"))
    assert stream.getvalue() == "08:31:18 DEBUG [gateway] shown\n"
    assert other.getvalue() == "08:31:18 INFO [gateway] pin=***\n"


def test_broken_stream_does_not_raise():
    class Broken(io.StringIO):
        def write(self, s):
            raise BrokenPipeError()

    ConsoleLogObserver(Broken())(event())
