"""The config watcher: polled on a clock, settled and debounced, content-checked."""

from __future__ import annotations

import os

from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import Clock

from openclaw.config.load import files_digest, load_source
from openclaw.config.watch import SETTLE_MS, ConfigWatcher

QUIET = (SETTLE_MS + 300) / 1000


def _inline(f, *args):
    """Run a poll's file work at once (the gateway runs it in a thread)."""
    return succeed(f(*args))


def _watcher(tmp_path, *names: str):
    clock = Clock()
    calls = []
    watcher = ConfigWatcher(clock, lambda: calls.append(clock.seconds()), pollInterval=0.05, inThread=_inline)
    paths = [str(tmp_path / name) for name in names]
    for path in paths:
        open(path, "w").write("{}")
    watcher.watch(paths, files_digest(paths))
    watcher.start()
    return clock, watcher, calls, [tmp_path / name for name in names]


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
    watcher.watch([str(config)], files_digest([str(config)]))
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


def test_a_save_after_the_loaded_content_still_counts(tmp_path):
    """The accepted content is what a reload loaded, not what is on disk when it is applied."""
    clock, watcher, calls, (config,) = _watcher(tmp_path, "openclaw.json")
    config.write_text('{"gateway": {"mode": "local"}}')
    loaded = load_source(str(config), {})
    config.write_text('{"gateway": {"mode": "local", "port": 1234}}')  # saved while that reload ran
    watcher.watch([str(config)], loaded.digest)
    _run(clock, QUIET + 0.2)
    assert len(calls) == 1
    watcher.watch([str(config)], load_source(str(config), {}).digest)
    _run(clock, QUIET + 0.2)
    assert len(calls) == 1  # what was loaded is what is there


def test_polls_run_through_the_thread_runner_one_at_a_time(tmp_path):
    clock = Clock()
    polls: list[Deferred] = []

    def thread(f, *args):
        polls.append(Deferred())
        return polls[-1].addCallback(lambda _: f(*args))

    watcher = ConfigWatcher(clock, lambda: None, pollInterval=0.05, inThread=thread)
    watcher.watch([str(tmp_path / "openclaw.json")], "")
    watcher.start()
    for _ in range(10):
        clock.advance(0.05)
    assert len(polls) == 1  # the next poll waits for this one
    polls[0].callback(None)
    clock.advance(0.05)
    assert len(polls) == 2
    watcher.stop()
    watcher.start()  # restarted while a poll is under way: still one at a time
    polls[1].callback(None)
    clock.advance(0.05)
    assert len(polls) == 3
    clock.advance(0.05)
    assert len(polls) == 3
