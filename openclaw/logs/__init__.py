"""
Logging for the gateway: OpenClaw's JSON file log, a console for people, redaction.

Code logs with C{twisted.logger.Logger(namespace="gateway/...")}; the namespace is the
OpenClaw subsystem.  L{LogSink} puts the observers on Twisted's global publisher.
"""

from openclaw.logs.console import ConsoleLogObserver
from openclaw.logs.family import LogFamily, log_family
from openclaw.logs.file import FileLogObserver
from openclaw.logs.redact import redact
from openclaw.logs.sink import LogSettings, LogSink

__all__ = [
    "ConsoleLogObserver",
    "FileLogObserver",
    "LogFamily",
    "LogSettings",
    "LogSink",
    "log_family",
    "redact",
]
