"""Keyed config revisions: what clients see instead of a digest of the secret-bearing file."""

from __future__ import annotations

import hashlib
import os
import stat

from openclaw.config.load import content_hash
from openclaw.config.revision import KEY_FILE, PREFIX, revision, same_revision

TEXT = '{"gateway": {"auth": {"token": "guess-me"}}}\n'


def test_the_revision_is_keyed_stable_and_differs_between_state_dirs(tmp_path):
    one, two = str(tmp_path / "one"), str(tmp_path / "two")
    first = revision(one, content_hash(TEXT))
    assert first.startswith(PREFIX) and first == revision(one, content_hash(TEXT))
    assert hashlib.sha256(TEXT.encode()).hexdigest() not in first
    assert revision(two, content_hash(TEXT)) != first
    assert revision(one, content_hash(TEXT + " ")) != first


def test_the_key_file_is_private_and_kept(tmp_path):
    revision(str(tmp_path), content_hash(TEXT))
    key = tmp_path / KEY_FILE
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert len(key.read_text().strip()) == 64
    assert os.listdir(key.parent) == [os.path.basename(KEY_FILE)]  # no temp file left


def test_a_damaged_key_file_is_replaced(tmp_path):
    key = tmp_path / KEY_FILE
    key.parent.mkdir()
    key.write_text("not a key")
    first = revision(str(tmp_path), content_hash(TEXT))
    assert len(key.read_text().strip()) == 64 and first.startswith(PREFIX)


def test_same_revision_checks_a_claimed_base_hash(tmp_path):
    state = str(tmp_path)
    good = revision(state, content_hash(TEXT))
    assert same_revision(state, content_hash(TEXT), good)
    assert not same_revision(state, content_hash(TEXT), content_hash(TEXT))  # the old plain form
    assert not same_revision(state, content_hash(TEXT), good[:-1] + "0" if good[-1] != "0" else good[:-1] + "1")
    assert not same_revision(state, content_hash(TEXT), "ü")
