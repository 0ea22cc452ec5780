"""The cursor-based tail behind logs.tail: windows, cursors, resets, truncation, redaction."""

from __future__ import annotations

import os

import pytest

from openclaw.logs.tail import read_tail


def write(path, *lines: str, mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))


@pytest.fixture
def log(tmp_path):
    return str(tmp_path / "openclaw-2026-11-24.log")


def test_missing_file_is_an_empty_result(log):
    assert read_tail(log) == {"file": log, "cursor": 0, "size": 0, "lines": [], "truncated": False, "reset": False}
    assert read_tail(log, cursor=10)["reset"] is True
    assert read_tail(log, cursor=0)["reset"] is False


def test_no_cursor_reads_the_last_lines_and_points_after_them(log):
    write(log, "a", "b", "c")
    result = read_tail(log, limit=2)
    assert result["lines"] == ["b", "c"]
    assert result["truncated"] is True
    assert result["cursor"] == result["size"] == os.path.getsize(log)
    assert read_tail(log, limit=3)["truncated"] is False


def test_window_drops_the_partial_first_line(log):
    write(log, "x" * 50, "second", "third")
    result = read_tail(log, maxBytes=len("second\nthird\n") + 3)
    assert result["lines"] == ["second", "third"]
    # A window that starts exactly at a line start keeps that line.
    assert read_tail(log, maxBytes=len("second\nthird\n"))["lines"] == ["second", "third"]


def test_unfinished_last_line_waits_for_its_newline(log):
    write(log, "done")
    with open(log, "a", encoding="utf-8") as f:
        f.write('{"half":')
    result = read_tail(log)
    assert result["lines"] == ["done"]
    assert result["cursor"] == len("done\n") and result["size"] == len('done\n{"half":')
    with open(log, "a", encoding="utf-8") as f:
        f.write("1}\n")
    assert read_tail(log, cursor=result["cursor"])["lines"] == ['{"half":1}']


def test_cursor_returns_only_what_was_appended(log):
    write(log, "one", "two")
    first = read_tail(log)
    assert read_tail(log, cursor=first["cursor"])["lines"] == []
    write(log, "three", mode="a")
    later = read_tail(log, cursor=first["cursor"])
    assert later["lines"] == ["three"] and later["reset"] is False
    assert later["cursor"] == os.path.getsize(log)


def test_cursor_beyond_the_end_means_the_file_was_replaced(log):
    write(log, "old line that was long", "another old line")
    cursor = read_tail(log)["cursor"]
    write(log, "new")
    result = read_tail(log, cursor=cursor)
    assert result["reset"] is True and result["lines"] == ["new"] and "skippedBytes" not in result


def test_too_much_pending_jumps_to_the_tail(log):
    write(log, "start")
    cursor = read_tail(log)["cursor"]
    write(log, *(f"line {i:03d}" for i in range(100)), mode="a")
    result = read_tail(log, cursor=cursor, maxBytes=20)
    assert result["reset"] is True and result["truncated"] is True
    assert result["lines"] == ["line 098", "line 099"]
    # Everything between the old cursor and the first line returned was skipped.
    assert result["skippedBytes"] == result["size"] - cursor - len("line 098\nline 099\n")


def test_more_new_lines_than_limit_keeps_the_newest(log):
    write(log, "start")
    cursor = read_tail(log)["cursor"]
    write(log, "a", "b", "c", mode="a")
    result = read_tail(log, cursor=cursor, limit=2)
    assert result["lines"] == ["b", "c"] and result["truncated"] is True
    assert result["cursor"] == result["size"]


def test_lines_are_redacted_again(log):
    write(log, '{"message":"connect --token abcdefghijklmnopqrstuvwxyz"}', "plain")
    lines = read_tail(log)["lines"]
    assert "abcdefghijklmnopqrstuvwxyz" not in lines[0] and "abcdef\u2026wxyz" in lines[0]
    assert read_tail(log, patterns=[r"plain"])["lines"][1] == "***"


def test_blank_lines_and_bad_utf8_do_not_break_the_tail(log):
    with open(log, "wb") as f:
        f.write(b"ok\n\n\xff\xfe broken\n")
    assert read_tail(log)["lines"] == ["ok", "\ufffd\ufffd broken"]


def test_other_read_errors_are_raised(tmp_path):
    directory = str(tmp_path)
    with pytest.raises(OSError):
        read_tail(directory)
