"""
Replacing a file atomically: the data goes to a temp file beside it (with its final
mode from the start of the rename), which is renamed over the target; on any failure
the temp file is removed and the target is untouched.

Blocking file I/O: callers on the reactor run these in a thread.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Iterator

#: Owner-only: the default, for anything that may hold a secret.
PRIVATE = 0o600


@contextlib.contextmanager
def replacing(path: str, data: bytes | str, mode: int = PRIVATE) -> Iterator[str]:
    """
    Write C{data} to a temp file beside C{path} and yield its name; when the block
    ends without an exception the temp file replaces C{path}, otherwise it is removed.
    Missing directories are created owner-only.
    """
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".openclaw-", suffix=".tmp", dir=directory)  # created 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomically(path: str, data: bytes | str, mode: int = PRIVATE) -> None:
    """Replace C{path} with C{data} (text is written as UTF-8), file mode C{mode}."""
    with replacing(path, data, mode):
        pass


__all__ = ["PRIVATE", "replacing", "write_atomically"]
