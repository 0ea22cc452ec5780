from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from datetime import date

import pytest
from twisted.logger import Logger, LogPublisher, globalLogPublisher

from openclaw.logs.file import DEFAULT_MAX_FILE_BYTES
from openclaw.logs.sink import LogSettings, LogSink

TOKEN = "abcdefghijklmnopqrstuvwxyz0123"
TODAY = date(2026, 11, 24)


class TTY(io.StringIO):
    def isatty(self):
        return True


def messages(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["message"] for line in f.read().splitlines()]


@pytest.fixture
def sinks():
    made = []

    def make(settings, **kwargs):
        kwargs.setdefault("today", lambda: TODAY)
        kwargs.setdefault("environ", {})
        sink = LogSink(settings, **kwargs)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        if sink.running:
            sink.stopService()


# LogSettings.fromConfig


def test_defaults():
    stream = TTY()
    s = LogSettings.fromConfig({}, environ={}, consoleStream=stream)
    assert s == LogSettings(consoleStream=stream)
    assert (s.file, s.level, s.consoleLevel, s.maxFileBytes) == (None, "info", "info", 104857600)
    assert (s.consoleStyle, s.redactPatterns, s.profile, s.console, s.verbose) == (
        "pretty",
        None,
        None,
        True,
        False,
    )


def test_logging_section_is_read(tmp_path):
    config = {
        "logging": {
            "level": "debug",
            "consoleLevel": "warn",
            "file": "~/logs/gw.log",
            "maxFileBytes": 1000,
            "consoleStyle": "json",
            "redactPatterns": [r"pin=(\d+)"],
        }
    }
    s = LogSettings.fromConfig(config, profile="work", environ={"HOME": str(tmp_path)})
    assert s.level == "debug"
    assert s.consoleLevel == "warn"
    assert s.file == str(tmp_path / "logs" / "gw.log")
    assert s.maxFileBytes == 1000
    assert s.consoleStyle == "json"
    assert s.redactPatterns == (r"pin=(\d+)",)
    assert s.profile == "work"


def test_invalid_values_fall_back():
    config = {"logging": {"level": "loud", "maxFileBytes": -5, "consoleStyle": 3, "redactPatterns": 7, "file": ""}}
    s = LogSettings.fromConfig(config, environ={}, consoleStream=TTY())
    assert (s.level, s.maxFileBytes, s.consoleStyle, s.redactPatterns, s.file) == (
        "info",
        DEFAULT_MAX_FILE_BYTES,
        "pretty",
        None,
        None,
    )


def test_unset_style_is_compact_off_tty():
    assert LogSettings.fromConfig({}, environ={}, consoleStream=io.StringIO()).consoleStyle == "compact"
    config = {"logging": {"consoleStyle": "pretty"}}
    assert LogSettings.fromConfig(config, environ={}, consoleStream=io.StringIO()).consoleStyle == "pretty"


def test_env_overrides_both_levels_and_flag_overrides_env():
    config = {"logging": {"level": "warn", "consoleLevel": "error"}}
    s = LogSettings.fromConfig(config, environ={"OPENCLAW_LOG_LEVEL": "debug"})
    assert (s.level, s.consoleLevel) == ("debug", "debug")
    s = LogSettings.fromConfig(config, environ={"OPENCLAW_LOG_LEVEL": "debug"}, logLevel="fatal")
    assert (s.level, s.consoleLevel) == ("fatal", "fatal")
    s = LogSettings.fromConfig(config, environ={"OPENCLAW_LOG_LEVEL": "nonsense"})
    assert (s.level, s.consoleLevel) == ("warn", "error")


def test_verbose_raises_the_console_only():
    s = LogSettings.fromConfig({"logging": {"level": "warn", "consoleLevel": "error"}}, environ={}, verbose=True)
    assert (s.level, s.effectiveConsoleLevel) == ("warn", "debug")
    assert LogSettings(consoleLevel="trace", verbose=True).effectiveConsoleLevel == "trace"
    assert LogSettings(consoleLevel="warn").effectiveConsoleLevel == "warn"


def test_profile_comes_from_the_environment():
    assert LogSettings.fromConfig({}, environ={"OPENCLAW_PROFILE": "Dev"}).profile == "dev"
    assert LogSettings.fromConfig({}, environ={}, console=False).console is False


# LogSink


def test_sink_writes_file_and_console(tmp_path, sinks):
    publisher = LogPublisher()
    stream = io.StringIO()
    settings = LogSettings(directory=str(tmp_path), profile="dev", consoleStream=stream, consoleStyle="compact")
    sink = sinks(settings, publisher=publisher)
    assert sink.currentPath() == str(tmp_path / "openclaw-dev-2026-11-24.log")
    sink.startService()
    log = Logger(namespace="gateway", observer=publisher)
    log.info("listening on {url}", url="ws://127.0.0.1:18789")
    log.debug("quiet")
    sink.stopService()
    assert messages(tmp_path / "openclaw-dev-2026-11-24.log") == ["listening on ws://127.0.0.1:18789"]
    assert stream.getvalue() == "INFO [gateway] listening on ws://127.0.0.1:18789\n"
    log.info("after stop")
    assert stream.getvalue().count("\n") == 1
    assert messages(tmp_path / "openclaw-dev-2026-11-24.log") == ["listening on ws://127.0.0.1:18789"]


def test_stop_returns_once_flushed(tmp_path, sinks):
    publisher = LogPublisher()
    sink = sinks(LogSettings(file=str(tmp_path / "gw.log"), console=False), publisher=publisher)
    sink.startService()
    log = Logger(namespace="gateway", observer=publisher)
    for i in range(1000):
        log.info("n={i}", i=i)
    fileObserver = sink.fileObserver
    sink.stopService()
    assert sink.fileObserver is None and not sink.running
    assert len(messages(tmp_path / "gw.log")) == 1000
    assert not fileObserver._writer._thread.is_alive()


def test_verbose_does_not_touch_the_file(tmp_path, sinks):
    publisher = LogPublisher()
    stream = io.StringIO()
    settings = LogSettings(file=str(tmp_path / "gw.log"), consoleStream=stream, consoleStyle="compact", verbose=True)
    sink = sinks(settings, publisher=publisher)
    sink.startService()
    Logger(namespace="gateway/ws", observer=publisher).debug("frame")
    Logger(namespace="gateway/ws", observer=publisher).info("res")
    sink.flush(5)
    assert stream.getvalue() == "DEBUG [ws] frame\nINFO [ws] res\n"
    assert messages(tmp_path / "gw.log") == ["res"]


def test_global_publisher(tmp_path, sinks):
    stream = io.StringIO()
    sink = sinks(LogSettings(file=str(tmp_path / "gw.log"), consoleStream=stream, consoleStyle="compact"))
    sink.startService()
    added = [sink.fileObserver, sink.consoleObserver]
    try:
        assert all(o in globalLogPublisher._observers for o in added)
        Logger(namespace="gateway/test-sink").info("via the global publisher")
        sink.flush(5)
    finally:
        sink.stopService()
    assert "via the global publisher" in messages(tmp_path / "gw.log")
    assert "INFO [test-sink] via the global publisher\n" in stream.getvalue()
    assert sink.consoleObserver is None
    assert all(o not in globalLogPublisher._observers for o in added)


def test_console_colour_follows_tty_and_env(tmp_path, sinks):
    publisher = LogPublisher()
    tty = TTY()
    sink = sinks(LogSettings(file=str(tmp_path / "gw.log"), consoleStream=tty), publisher=publisher)
    sink.startService()
    assert sink.consoleObserver.color is True
    sink.stopService()
    sink = sinks(LogSettings(file=str(tmp_path / "gw.log"), consoleStream=tty), publisher=publisher, environ={"NO_COLOR": "1"})
    sink.startService()
    assert sink.consoleObserver.color is False
    sink.stopService()
    sink = sinks(LogSettings(file=str(tmp_path / "gw.log"), consoleStream=io.StringIO(), consoleColor=True), publisher=publisher)
    sink.startService()
    assert sink.consoleObserver.color is True


def test_apply_swaps_settings_on_a_running_sink(tmp_path, sinks):
    publisher = LogPublisher()
    stream = io.StringIO()
    settings = LogSettings(file=str(tmp_path / "a.log"), consoleStream=stream, consoleStyle="compact")
    sink = sinks(settings, publisher=publisher)
    sink.startService()
    log = Logger(namespace="gateway", observer=publisher)
    log.info("first pin=1234")
    log.debug("hidden")
    sink.apply(
        replace(
            settings,
            file=str(tmp_path / "b.log"),
            level="debug",
            consoleLevel="warn",
            redactPatterns=(r"pin=(\d+)",),
        )
    )
    log.info("second pin=1234")
    log.debug("shown in file")
    sink.apply(replace(sink.settings, console=False))
    log.warn("file only")
    sink.apply(replace(sink.settings, console=True, consoleLevel="info"))
    log.info("console again")
    sink.stopService()
    assert messages(tmp_path / "a.log") == ["first pin=1234"]
    assert messages(tmp_path / "b.log") == ["second pin=***", "shown in file", "file only", "console again"]
    assert stream.getvalue() == "INFO [gateway] first pin=1234\nINFO [gateway] console again\n"


def test_apply_before_start_is_used_at_start(tmp_path, sinks):
    publisher = LogPublisher()
    sink = sinks(LogSettings(file=str(tmp_path / "a.log"), console=False), publisher=publisher)
    sink.apply(LogSettings(file=str(tmp_path / "b.log"), console=False))
    assert sink.currentPath() == str(tmp_path / "b.log")
    sink.startService()
    Logger(namespace="gateway", observer=publisher).info("x")
    sink.stopService()
    assert messages(tmp_path / "b.log") == ["x"]
    assert not os.path.exists(tmp_path / "a.log")


def test_family_for_logs_tail(tmp_path, sinks):
    (tmp_path / "openclaw-2026-11-20.log").write_text("")
    sink = sinks(LogSettings(directory=str(tmp_path)))
    assert sink.family().newest() == str(tmp_path / "openclaw-2026-11-20.log")
    assert sink.currentPath() == str(tmp_path / "openclaw-2026-11-24.log")


@pytest.mark.parametrize("style", ["pretty", "compact", "json"])
def test_a_secret_never_reaches_either_output(tmp_path, sinks, style):
    publisher = LogPublisher()
    stream = io.StringIO()
    settings = LogSettings(file=str(tmp_path / "gw.log"), consoleStream=stream, consoleStyle=style, level="debug", consoleLevel="debug")
    sink = sinks(settings, publisher=publisher)
    sink.startService()
    log = Logger(namespace="gateway/ws", observer=publisher)
    log.info(f"connect --token {TOKEN}")
    log.debug("frame {frame}", frame=f'{{"type":"req","params":{{"auth":{{"token":"{TOKEN}"}}}}}}')
    log.warn("auth failed", token=TOKEN, header=f"Authorization: Bearer {TOKEN}")
    log.error("env {env}", env={"OPENCLAW_GATEWAY_TOKEN": TOKEN})
    try:
        raise RuntimeError(f"password={TOKEN}")
    except RuntimeError:
        log.failure("crash")
    sink.stopService()
    fileText = (tmp_path / "gw.log").read_text()
    assert TOKEN not in fileText
    assert TOKEN not in stream.getvalue()
    assert fileText.count("\n") == 5
    assert "abcdef\u20260123" in stream.getvalue()


def test_twisted_legacy_chatter_is_debug():
    from twisted.logger import LogLevel

    from openclaw.logs.levels import allows, event_level

    port = {"log_level": LogLevel.info, "log_namespace": "log_legacy", "log_format": "{log_text}", "log_text": "gateway starting on 18789"}
    assert event_level(port) == "debug" and not allows("info", port) and allows("debug", port)
    legacyError = {**port, "log_level": LogLevel.error}
    assert event_level(legacyError) == "error"
    ours = {**port, "log_namespace": "gateway"}
    assert event_level(ours) == "info"
