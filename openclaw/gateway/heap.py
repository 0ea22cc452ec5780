"""
Give freed memory back to the operating system. A client that stopped reading can
leave up to the buffered-bytes limit of small frames behind; once they are freed,
glibc keeps the pages in its heap (they are not at its top), so the process would
stay that large. C{malloc_trim} returns them; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Callable


def _trimmer() -> Callable[[], None]:
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    if trim is None:
        return lambda: None
    trim.argtypes = [ctypes.c_size_t]
    return lambda: trim(0) and None


give_back = _trimmer()
