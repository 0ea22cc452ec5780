"""The one atomic file helper: owner-only temp files, fsync, and the start-up sweep of crash litter."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from openclaw import atomicfile
from openclaw.atomicfile import replacing, sweep_stale, write_atomically


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_temp_file_is_owner_only_and_flushed_before_the_rename_then_the_directory(tmp_path, monkeypatch):
    target = tmp_path / "unit.service"
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        info = os.fstat(fd)
        synced.append("dir" if stat.S_ISDIR(info.st_mode) else (stat.S_IMODE(info.st_mode), target.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    write_atomically(str(target), "public\n", mode=0o644)
    # the data reached the disk while the file was still 0600 and not yet renamed; then the rename did
    assert synced == [(0o600, False), "dir"]
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


def test_the_temp_file_names_its_writer(tmp_path):
    with replacing(str(tmp_path / "f.json"), "x") as tmp:
        name = os.path.basename(tmp)
        assert name.startswith(f".openclaw-{os.getpid()}-") and name.endswith(".tmp")
        assert sweep_stale(str(tmp_path)) == []  # a live writer's file stays
        assert os.path.exists(tmp)
    assert os.listdir(tmp_path) == ["f.json"]


def test_sweep_removes_only_our_litter_of_dead_writers(tmp_path):
    dead = _dead_pid()
    litter = [f".openclaw-{dead}-abc123.tmp", ".openclaw-k2j_9x.tmp"]  # a dead writer; an older version's name
    kept = [f".openclaw-{os.getpid()}-live01.tmp", "openclaw.json", ".openclaw-notes.txt", "x.tmp"]
    for name in litter + kept:
        (tmp_path / name).write_text("{}")
    os.mkdir(tmp_path / f".openclaw-{dead}-dir.tmp")
    os.symlink(tmp_path / "openclaw.json", tmp_path / f".openclaw-{dead}-link.tmp")

    assert sorted(sweep_stale(str(tmp_path))) == sorted(litter)
    assert sorted(os.listdir(tmp_path)) == sorted(kept + [f".openclaw-{dead}-dir.tmp", f".openclaw-{dead}-link.tmp"])


def test_sweep_of_a_missing_directory_does_nothing(tmp_path):
    assert sweep_stale(str(tmp_path / "nope")) == []


def test_a_failed_write_leaves_the_target_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    write_atomically(str(target), "old\n")

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomicfile.os, "fsync", full)
    with pytest.raises(OSError):
        write_atomically(str(target), "new\n")
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["f.json"]


def test_create_exclusively_creates_once(tmp_path):
    target = tmp_path / "key"
    atomicfile.create_exclusively(str(target), "first")
    with pytest.raises(FileExistsError):
        atomicfile.create_exclusively(str(target), "second")
    assert target.read_text() == "first" and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["key"]
