"""
Provides openclaw version information.
"""

# This file is auto-generated! Do not edit!
# Use `python -m incremental.update openclaw` to change this file.

from incremental import Version

__version__ = Version("openclaw", 2026, 11, 0)
__all__ = ["__version__"]
