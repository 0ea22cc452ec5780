"""The config watcher: polled on a clock, settled and debounced, content-checked."""

from __future__ import annotations

import os

from twisted.internet.task import Clock

from openclaw.config.watch import SETTLE_MS, ConfigWatcher

QUIET = (SETTLE_MS + 300) / 1000


def _watcher(tmp_path, *names: str):
    clock = Clock()
    calls = []
    watcher = ConfigWatcher(clock, lambda: calls.append(clock.seconds()), pollInterval=0.05)
    paths = [tmp_path / name for name in names]
    for path in paths:
        path.write_text("{}")
    watcher.watch(str(p) for p in paths)
    watcher.start()
    return clock, watcher, calls, paths


def _run(clock: Clock, seconds: float, step: float = 0.05) -> None:
    for _ in range(round(seconds / step)):
        clock.advance(step)


def test_one_change_after_the_quiet_period(tmp_path):
    clock, watcher, calls, (config,) = _watcher(tmp_path, "openclaw.json")
    _run(clock, 1)
    assert calls == []
    config.write_text('{"a": 1}')
    _run(clock, QUIET - 0.1)
    assert calls == []  # not settled yet
    _run(clock, 0.3)
    assert len(calls) == 1
    _run(clock, 2)
    assert len(calls) == 1


def test_a_burst_of_writes_and_a_save_by_rename_count_once(tmp_path):
    clock, watcher, calls, (config,) = _watcher(tmp_path, "openclaw.json")
    for i in range(5):
        config.write_text('{"a": %d}' % i)
        _run(clock, 0.1)
    temp = tmp_path / ".openclaw.json.swp"
    temp.write_text('{"a": "final"}')
    os.replace(temp, config)
    _run(clock, QUIET + 0.2)
    assert len(calls) == 1


def test_same_content_is_no_change(tmp_path):
    clock, watcher, calls, (config,) = _watcher(tmp_path, "openclaw.json")
    temp = tmp_path / "copy"
    temp.write_text("{}")
    os.replace(temp, config)  # new inode, same bytes
    _run(clock, QUIET + 0.2)
    assert calls == []


def test_included_files_are_watched_and_the_set_can_change(tmp_path):
    clock, watcher, calls, (config, include) = _watcher(tmp_path, "openclaw.json", "gateway.json5")
    include.write_text('{"port": 2}')
    _run(clock, QUIET + 0.2)
    assert len(calls) == 1
    watcher.watch([str(config)])
    include.write_text('{"port": 3}')
    _run(clock, QUIET + 0.2)
    assert len(calls) == 1


def test_a_vanished_file_is_a_change_and_stop_ends_polling(tmp_path):
    clock, watcher, calls, (config,) = _watcher(tmp_path, "openclaw.json")
    config.unlink()
    _run(clock, QUIET + 0.2)
    assert len(calls) == 1
    watcher.stop()
    config.write_text('{"b": 1}')
    _run(clock, QUIET + 0.2)
    assert len(calls) == 1 and not watcher.running
