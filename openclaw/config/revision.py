"""
The config revision clients see (C{config.get}'s C{hash}, C{appliedConfigHash},
the C{baseHash} guard of C{config.apply} / C{config.patch}).

A plain SHA-256 of the file would let any C{operator.read} client test guesses of
the redacted secrets offline (the rest of the file is in C{raw}). The revision is
therefore keyed: C{hmac-sha256:v1:<hex>}, an HMAC-SHA256 over the file's SHA-256
(L{content_hash}) with a random per-gateway key kept in the state dir. The key file
is created owner-only and atomically on first use and is never logged or sent.

Blocking (the first use reads or creates the key file): call it off the reactor.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import threading

from openclaw.atomicfile import create_exclusively, write_atomically

PREFIX = "hmac-sha256:v1:"
KEY_FILE = os.path.join("gateway", "config-revision.key")

_KEY_TEXT = re.compile(r"[0-9a-f]{64}")
_keys: dict[str, bytes] = {}
_lock = threading.Lock()


def _read_key(path: str) -> bytes | None:
    try:
        with open(path, encoding="ascii") as f:
            text = f.read().strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return bytes.fromhex(text) if _KEY_TEXT.fullmatch(text) else None


def revision_key(stateDir: str) -> bytes:
    """The state dir's key, created on first use (a damaged key file is replaced)."""
    path = os.path.join(stateDir, KEY_FILE)
    with _lock:
        key = _keys.get(path)
        if key is None:
            key = _read_key(path)
        if key is None:
            fresh = secrets.token_hex(32)
            try:
                create_exclusively(path, fresh + "\n")
            except FileExistsError:  # another process made it first (or it is damaged)
                if _read_key(path) is None:
                    write_atomically(path, fresh + "\n")
            key = _read_key(path)
            assert key is not None
        _keys[path] = key
        return key


def revision(stateDir: str, contentHash: str) -> str:
    """The client-visible revision of a file whose L{content_hash} is C{contentHash}."""
    digest = hmac.new(revision_key(stateDir), contentHash.encode("ascii"), "sha256").hexdigest()
    return PREFIX + digest


def same_revision(stateDir: str, contentHash: str, claimed: str) -> bool:
    """Whether C{claimed} (a client's C{baseHash}) is the revision of that file."""
    return hmac.compare_digest(revision(stateDir, contentHash).encode("ascii"), claimed.encode("utf-8"))


__all__ = ["KEY_FILE", "PREFIX", "revision", "revision_key", "same_revision"]
