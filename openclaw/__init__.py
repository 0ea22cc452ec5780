"""OpenClaw gateway on Twisted."""

from openclaw._version import __version__

VERSION = __version__.public()

__all__ = ["VERSION", "__version__"]
