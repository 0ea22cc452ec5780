from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from datetime import date

import pytest
from twisted.logger import Logger, LogLevel, capturedLogs

from openclaw.logs import file as filemod
from openclaw.logs.family import archive_path, log_family
from openclaw.logs.file import DEFAULT_MAX_FILE_BYTES, FileLogObserver

T0 = 1795489278.192  # 2026-11-24T03:01:18.192Z
TOKEN = "abcdefghijklmnopqrstuvwxyz0123"
TOKEN_MASKED = "abcdef\u20260123"


@pytest.fixture
def tz(monkeypatch):
    """Run in UTC+05:30 (a POSIX TZ string, no tz database needed)."""
    monkeypatch.setenv("TZ", "IST-05:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def observers():
    made = []

    def make(*args, **kwargs):
        observer = FileLogObserver(*args, **kwargs)
        made.append(observer)
        return observer

    yield make
    for observer in made:
        observer.close()


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f.read().splitlines()]


def messages(path):
    return [record["message"] for record in lines(path)]


def test_line_has_openclaw_keys_and_values(tmp_path, tz, observers):
    observer = observers(str(tmp_path / "gw.log"))
    observer(
        {
            "log_namespace": "gateway/ws",
            "log_level": LogLevel.warn,
            "log_format": "listening on {url}",
            "log_time": T0,
            "url": "ws://127.0.0.1:18789",
        }
    )
    assert observer.flush(5)
    raw = (tmp_path / "gw.log").read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    record = json.loads(raw)
    host = socket.gethostname()
    name = '{"subsystem":"gateway/ws"}'
    assert record == {
        "0": name,
        "1": "listening on ws://127.0.0.1:18789",
        "_meta": {
            "runtime": "python",
            "runtimeVersion": "%d.%d.%d" % sys.version_info[:3],
            "hostname": host,
            "date": "2026-11-24T03:01:18.192Z",
            "logLevelId": 4,
            "logLevelName": "WARN",
            "name": name,
            "parentNames": ["openclaw"],
        },
        "time": "2026-11-24T08:31:18.192+05:30",
        "hostname": host,
        "message": "listening on ws://127.0.0.1:18789",
    }
    assert list(record) == ["0", "1", "_meta", "time", "hostname", "message"]


@pytest.mark.parametrize(
    "level, expected_id, expected_name",
    [
        (LogLevel.debug, 2, "DEBUG"),
        (LogLevel.info, 3, "INFO"),
        (LogLevel.warn, 4, "WARN"),
        (LogLevel.error, 5, "ERROR"),
        (LogLevel.critical, 6, "FATAL"),
    ],
)
def test_level_ids(tmp_path, observers, level, expected_id, expected_name):
    observer = observers(str(tmp_path / "gw.log"), level="debug")
    Logger(namespace="gateway", observer=observer).emit(level, "hello")
    observer.flush(5)
    [record] = lines(tmp_path / "gw.log")
    assert record["_meta"]["logLevelId"] == expected_id
    assert record["_meta"]["logLevelName"] == expected_name
    assert record["0"] == '{"subsystem":"gateway"}'


def test_twisted_namespaces_are_subsystems(tmp_path, observers):
    observer = observers(str(tmp_path / "gw.log"))
    Logger(namespace="twisted.web.server", observer=observer).info("GET /")
    observer.flush(5)
    [record] = lines(tmp_path / "gw.log")
    assert record["_meta"]["name"] == '{"subsystem":"twisted.web.server"}'


@pytest.mark.parametrize(
    "level, expected",
    [
        ("silent", []),
        ("fatal", ["critical"]),
        ("error", ["error", "critical"]),
        ("warn", ["warn", "error", "critical"]),
        ("info", ["info", "warn", "error", "critical"]),
        ("debug", ["debug", "info", "warn", "error", "critical"]),
        ("trace", ["debug", "info", "warn", "error", "critical"]),
        ("bogus", ["info", "warn", "error", "critical"]),
    ],
)
def test_level_filter(tmp_path, observers, level, expected):
    observer = observers(str(tmp_path / "gw.log"), level=level)
    log = Logger(namespace="gateway", observer=observer)
    for name in ("debug", "info", "warn", "error", "critical"):
        log.emit(LogLevel.lookupByName(name), name)
    observer.flush(5)
    path = tmp_path / "gw.log"
    assert (messages(path) if path.exists() else []) == expected


def test_failure_traceback_is_appended(tmp_path, observers):
    observer = observers(str(tmp_path / "gw.log"))
    log = Logger(namespace="gateway", observer=observer)
    try:
        1 / 0
    except ZeroDivisionError:
        log.failure("handler crashed for {method}", method="health")
    observer.flush(5)
    [record] = lines(tmp_path / "gw.log")
    assert record["message"].startswith("handler crashed for health\nTraceback")
    assert "ZeroDivisionError" in record["message"]
    assert record["1"] == record["message"]


def test_token_is_redacted_in_message_and_fields(tmp_path, observers):
    observer = observers(str(tmp_path / "gw.log"))
    log = Logger(namespace="gateway/ws", observer=observer)
    log.info(f"connect token={TOKEN}")
    log.info("connect params {params}", params={"auth": {"token": TOKEN}})
    log.info("flags {argv}", argv=f"--token {TOKEN}")
    observer.flush(5)
    raw = (tmp_path / "gw.log").read_text()
    assert TOKEN not in raw
    assert [m.count(TOKEN_MASKED) for m in messages(tmp_path / "gw.log")] == [1, 1, 1]


def test_custom_patterns(tmp_path, observers):
    observer = observers(str(tmp_path / "gw.log"), redactPatterns=[r"pin=(\d+)"])
    log = Logger(namespace="gateway", observer=observer)
    log.info("pin=1234 token=hunter2")
    observer.flush(5)
    assert messages(tmp_path / "gw.log") == ["pin=*** token=hunter2"]


def test_rolling_family_by_date(tmp_path, observers):
    day = [date(2026, 11, 24)]
    observer = observers(directory=str(tmp_path / "logs"), profile="dev", today=lambda: day[0])
    log = Logger(namespace="gateway", observer=observer)
    first = str(tmp_path / "logs" / "openclaw-dev-2026-11-24.log")
    assert observer.currentPath() == first
    log.info("before midnight")
    day[0] = date(2026, 11, 25)
    second = str(tmp_path / "logs" / "openclaw-dev-2026-11-25.log")
    assert observer.currentPath() == second
    log.info("after midnight")
    observer.flush(5)
    assert messages(first) == ["before midnight"]
    assert messages(second) == ["after midnight"]
    assert observer.lastPath() == second
    assert log_family("dev", None, directory=str(tmp_path / "logs")).newest() == second


def test_default_profile_file_name(tmp_path, observers):
    observer = observers(directory=str(tmp_path), today=lambda: date(2026, 1, 2))
    assert observer.currentPath() == str(tmp_path / "openclaw-2026-01-02.log")


def test_fixed_file_does_not_roll(tmp_path, observers):
    day = [date(2026, 11, 24)]
    observer = observers(str(tmp_path / "fixed.log"), today=lambda: day[0])
    log = Logger(namespace="gateway", observer=observer)
    log.info("one")
    day[0] = date(2026, 11, 25)
    log.info("two")
    observer.flush(5)
    assert observer.currentPath() == str(tmp_path / "fixed.log")
    assert messages(tmp_path / "fixed.log") == ["one", "two"]
    assert sorted(os.listdir(tmp_path)) == ["fixed.log"]


def test_directory_is_created_private(tmp_path, observers):
    observer = observers(directory=str(tmp_path / "a" / "logs"))
    Logger(namespace="gateway", observer=observer).info("x")
    observer.flush(5)
    assert os.stat(tmp_path / "a" / "logs").st_mode & 0o777 == 0o700
    assert os.stat(observer.currentPath()).st_mode & 0o077 == 0


def test_an_existing_directory_and_file_are_made_private(tmp_path, observers):
    directory = tmp_path / "logs"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    observer = observers(directory=str(directory), today=lambda: date(2026, 11, 24))
    existing = directory / "openclaw-2026-11-24.log"
    existing.write_text("")
    existing.chmod(0o644)
    Logger(namespace="gateway", observer=observer).info("x")
    assert observer.flush(5) and observer.lastError is None
    assert directory.stat().st_mode & 0o777 == 0o700
    assert existing.stat().st_mode & 0o777 == 0o600 and messages(existing) == ["x"]


def test_a_configured_file_is_narrowed_but_its_directory_left_alone(tmp_path, observers):
    path = tmp_path / "gw.log"
    path.write_text("")
    path.chmod(0o644)
    tmp_path.chmod(0o755)
    observer = observers(str(path))
    Logger(namespace="gateway", observer=observer).info("x")
    assert observer.flush(5)
    assert path.stat().st_mode & 0o777 == 0o600
    assert tmp_path.stat().st_mode & 0o777 == 0o755  # logging.file's directory is the user's choice


def _refused(observer) -> tuple[str, list[dict]]:
    with capturedLogs() as events:
        log = Logger(namespace="gateway", observer=observer)
        log.info("one")
        log.info("two")
        assert observer.flush(5)
    reports = [e for e in events if e.get("log_namespace") == "logs"]
    assert isinstance(observer.lastError, filemod.UnsafeLogDirectory)
    return str(observer.lastError), reports


def test_a_symlinked_log_directory_is_refused(tmp_path, observers):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "logs").symlink_to(elsewhere)
    message, reports = _refused(observers(directory=str(tmp_path / "logs")))
    assert message == f"refusing to write the log to {tmp_path / 'logs'}: it is a symbolic link"
    assert os.listdir(elsewhere) == []
    assert len(reports) == 1 and reports[0]["error"] == message  # reported once, not per line


def test_another_users_log_directory_is_refused(tmp_path, observers, monkeypatch):
    directory = tmp_path / "logs"
    directory.mkdir(mode=0o700)
    owner = directory.stat().st_uid
    monkeypatch.setattr(os, "getuid", lambda: owner + 1)
    message, _ = _refused(observers(directory=str(directory)))
    assert message == (
        f"refusing to write the log to {directory}: it belongs to uid {owner}, not to this user (uid {owner + 1})"
    )
    assert os.listdir(directory) == []


def test_rotation_keeps_five_archives(tmp_path, observers):
    path = str(tmp_path / "gw.log")
    observer = observers(path, maxFileBytes=700)
    log = Logger(namespace="gateway", observer=observer)
    for i in range(20):
        log.info("line {i:02d}", i=i)
    observer.flush(5)
    names = sorted(os.listdir(tmp_path))
    assert names == ["gw.1.log", "gw.2.log", "gw.3.log", "gw.4.log", "gw.5.log", "gw.log"]
    for name in names:
        assert 0 < os.path.getsize(tmp_path / name) <= 700
    # Oldest archive first, current file last: one unbroken run ending at line 19.
    ordered = [archive_path(path, n) for n in range(5, 0, -1)] + [path]
    seen = [m for p in ordered for m in messages(p)]
    assert seen == [f"line {i:02d}" for i in range(20 - len(seen), 20)]
    assert len(seen) < 20


def test_rotation_of_rolling_file(tmp_path, observers):
    observer = observers(directory=str(tmp_path), maxFileBytes=500, today=lambda: date(2026, 11, 24))
    log = Logger(namespace="gateway", observer=observer)
    for i in range(3):
        log.info("line {i}", i=i)
    observer.flush(5)
    assert sorted(os.listdir(tmp_path)) == [
        "openclaw-2026-11-24.1.log",
        "openclaw-2026-11-24.2.log",
        "openclaw-2026-11-24.log",
    ]
    assert log_family(None, None, directory=str(tmp_path)).newest() == str(
        tmp_path / "openclaw-2026-11-24.log"
    )


def test_oversized_line_is_still_written(tmp_path, observers):
    observer = observers(str(tmp_path / "gw.log"), maxFileBytes=10)
    Logger(namespace="gateway", observer=observer).info("x" * 100)
    observer.flush(5)
    assert messages(tmp_path / "gw.log") == ["x" * 100]


def test_old_rolling_files_are_pruned(tmp_path, observers):
    old = tmp_path / "openclaw-2026-11-20.log"
    oldArchive = tmp_path / "openclaw-2026-11-20.1.log"
    other = tmp_path / "notes.txt"
    recent = tmp_path / "openclaw-2026-11-23.log"
    for p in (old, oldArchive, other, recent):
        p.write_text("x\n")
    stale = time.time() - 3 * 24 * 3600
    for p in (old, oldArchive, other):
        os.utime(p, (stale, stale))
    observer = observers(directory=str(tmp_path), today=lambda: date(2026, 11, 24))
    Logger(namespace="gateway", observer=observer).info("x")
    observer.flush(5)
    assert sorted(os.listdir(tmp_path)) == [
        "notes.txt",
        "openclaw-2026-11-23.log",
        "openclaw-2026-11-24.log",
    ]


def test_flush_waits_for_everything_queued(tmp_path, observers):
    observer = observers(str(tmp_path / "gw.log"))
    log = Logger(namespace="gateway", observer=observer)
    for i in range(500):
        log.info("n={i}", i=i)
    assert observer.flush(10) is True
    assert messages(tmp_path / "gw.log") == [f"n={i}" for i in range(500)]


def test_close_writes_everything_and_stops_the_thread(tmp_path):
    observer = FileLogObserver(str(tmp_path / "gw.log"))
    log = Logger(namespace="gateway", observer=observer)
    for i in range(100):
        log.info("n={i}", i=i)
    thread = observer._writer._thread
    assert thread is not None and thread.daemon
    assert observer.close(10) is True
    assert not thread.is_alive()
    assert len(messages(tmp_path / "gw.log")) == 100
    log.info("after close")
    assert observer.flush(1) is True
    assert observer.close() is True
    assert len(messages(tmp_path / "gw.log")) == 100


def test_nothing_logged_means_no_thread_and_no_file(tmp_path):
    observer = FileLogObserver(directory=str(tmp_path / "logs"))
    assert observer.flush() is True
    assert observer.close() is True
    assert observer._writer._thread is None
    assert not (tmp_path / "logs").exists()


def test_disk_work_happens_on_the_writer_thread(tmp_path, observers, monkeypatch):
    threads = []
    original = filemod._Writer._open

    def spy(self, path, family):
        threads.append(threading.current_thread())
        return original(self, path, family)

    monkeypatch.setattr(filemod._Writer, "_open", spy)
    observer = observers(str(tmp_path / "gw.log"))
    Logger(namespace="gateway", observer=observer).info("x")
    observer.flush(5)
    assert threads and threads[0] is not threading.current_thread()
    assert threads[0].name == "openclaw-log-writer"


def test_write_errors_are_recorded_not_raised(tmp_path, observers):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    observer = observers(str(blocker / "gw.log"))
    Logger(namespace="gateway", observer=observer).info("x")
    assert observer.flush(5)
    assert isinstance(observer.lastError, OSError)


def test_reopens_after_external_rotation(tmp_path, observers):
    path = tmp_path / "gw.log"
    observer = observers(str(path))
    log = Logger(namespace="gateway", observer=observer)
    log.info("one")
    observer.flush(5)
    os.rename(path, tmp_path / "moved.log")
    log.info("two")
    observer.flush(5)
    assert messages(path) == ["two"]
    assert messages(tmp_path / "moved.log") == ["one"]


def test_configure_applies_to_the_next_record(tmp_path, observers):
    observer = observers(str(tmp_path / "a.log"))
    log = Logger(namespace="gateway", observer=observer)
    log.debug("hidden")
    log.info("in a")
    observer.configure(path=str(tmp_path / "b.log"), level="debug", redactPatterns=[r"pin=(\d+)"])
    log.debug("pin=1234")
    observer.configure(path=None, directory=str(tmp_path / "roll"))
    assert observer.family.rolling
    log.info("rolled")
    observer.flush(5)
    assert messages(tmp_path / "a.log") == ["in a"]
    assert messages(tmp_path / "b.log") == ["pin=***"]
    assert messages(observer.currentPath()) == ["rolled"]
    assert observer.maxFileBytes == DEFAULT_MAX_FILE_BYTES


def test_family_of_a_fixed_setting(tmp_path):
    family = log_family("dev", "~/logs/gw.log", environ={"HOME": str(tmp_path)})
    assert family.fixed == str(tmp_path / "logs" / "gw.log")
    assert family.newest() == family.fixed
    assert not family.rolling


def test_family_newest_ignores_archives_and_other_profiles(tmp_path):
    for name in (
        "openclaw-2026-11-22.log",
        "openclaw-2026-11-23.log",
        "openclaw-2026-11-23.1.log",
        "openclaw-dev-2026-11-25.log",
        "openclaw-2026-11-24.txt",
    ):
        (tmp_path / name).write_text("")
    assert log_family(None, None, directory=str(tmp_path)).newest() == str(
        tmp_path / "openclaw-2026-11-23.log"
    )
    assert log_family("dev", None, directory=str(tmp_path)).newest() == str(
        tmp_path / "openclaw-dev-2026-11-25.log"
    )
    empty = log_family("work", None, directory=str(tmp_path))
    assert empty.newest(date(2026, 1, 1)) == str(tmp_path / "openclaw-work-2026-01-01.log")
