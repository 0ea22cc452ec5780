"""Boot records shared by every process of a state dir."""

from __future__ import annotations

import fcntl
import threading

from openclaw.boots import Boot, BootHistory


def test_read_modify_write_holds_the_state_dirs_lock(tmp_path):
    """Another process's begin() or end() waits: neither drops the other's record."""
    history = BootHistory(str(tmp_path))
    history.begin(Boot("b0", 1, 1.0, "openclaw"))
    with open(history.path + ".lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as another process would, mid-write
        writer = threading.Thread(target=history.begin, args=(Boot("b1", 2, 2.0, "openclaw"),))
        writer.start()
        writer.join(0.3)
        assert writer.is_alive() and [b.bootId for b in history.read()] == ["b0"]
        fcntl.flock(held, fcntl.LOCK_UN)
    writer.join(5)
    assert [b.bootId for b in history.read()] == ["b0", "b1"]
    assert sorted(p.name for p in tmp_path.joinpath("gateway").iterdir()) == ["boots.json", "boots.json.lock"]
