"""
C{openclaw logs}: the gateway's file log over the C{logs.tail} RPC, once or
C{--follow}ing it (poll with the returned cursor; reconnect with backoff when the
gateway goes away).  When the implicit local gateway cannot serve it (not
running, no credentials, pairing needed), a one-shot C{openclaw logs} reads the
configured log file itself and says so; an explicit C{--url} never falls back.
"""

from __future__ import annotations

import sys
from typing import Any, MutableMapping

import orjson
from twisted.internet.task import deferLater
from twisted.internet.threads import deferToThread
from twisted.python import usage

from openclaw.cli.connect import call, open_client, rpc
from openclaw.cli.errors import CliError
from openclaw.cli.options import ClientOptions, parse, positive_int
from openclaw.cli.output import Style
from openclaw.cli.runner import run_cli
from openclaw.cli.target import require_credentials, resolve_target
from openclaw.cli.logview import format_entry, parse_line
from openclaw.logs.family import log_family
from openclaw.logs.sink import LogSettings
from openclaw.logs.tail import read_tail

DEFAULT_LIMIT = 200
DEFAULT_MAX_BYTES = 250000
DEFAULT_INTERVAL_MS = 1000
#: Reconnect attempts while following, and the longest wait between two.
MAX_RETRIES = 8
MAX_BACKOFF_S = 30

TRUNCATED = "Log tail truncated (increase --limit or --max-bytes)."
RESET = "Log cursor reset (the log file was rotated or replaced); showing its tail."
FALLBACK = "Local Gateway RPC unavailable; reading configured file log instead."

#: Failures that mean "the gateway is not there (right now)", not "you may not".
_TRANSIENT = ("gateway_transport_error",)
_FALLBACK_KINDS = ("gateway_transport_error", "gateway_credentials_required")


class LogsOptions(ClientOptions):
    synopsis = (
        "Usage: openclaw logs [--follow] [--limit <n>] [--max-bytes <n>] [--interval <ms>] "
        "[--json] [--plain] [--utc|--local-time] [--no-color] [--url <url>] [--port <n>] "
        "[--token <token>] [--password <password>] [--timeout <ms>]"
    )
    optFlags = [
        ["follow", None, "Keep polling for new lines (reconnects when the gateway restarts)."],
        ["plain", None, "Plain text: no colour."],
        ["no-color", None, "No colour (also NO_COLOR=1)."],
        ["utc", None, "Show times in UTC."],
        ["local-time", None, "Show times in the local timezone (the default)."],
    ]
    optParameters = [
        ["limit", None, None, f"Most lines per read (default {DEFAULT_LIMIT})."],
        ["max-bytes", None, None, f"Most bytes per read (default {DEFAULT_MAX_BYTES})."],
        ["interval", None, None, f"Poll period with --follow, in ms (default {DEFAULT_INTERVAL_MS})."],
    ]

    def postOptions(self) -> None:
        super().postOptions()
        self.limit = positive_int("--limit", self["limit"], DEFAULT_LIMIT)
        self.maxBytes = positive_int("--max-bytes", self["max-bytes"], DEFAULT_MAX_BYTES)
        self.intervalMs = positive_int("--interval", self["interval"], DEFAULT_INTERVAL_MS)
        if self["utc"] and self["local-time"]:
            raise usage.UsageError("Use either --utc or --local-time, not both.")


def backoff_seconds(attempt: int) -> int:
    """The wait before reconnect attempt C{attempt} (1-based): 1, 2, 4, … at most 30 s."""
    return min(MAX_BACKOFF_S, 2 ** (attempt - 1))


class Printer:
    """Prints tail results: human lines (notices on stderr) or JSON lines on stdout."""

    def __init__(self, asJson: bool, style: Style, utc: bool, out: Any = None, err: Any = None) -> None:
        self.asJson = asJson
        self.style = style
        self.utc = utc
        self.out = sys.stdout if out is None else out
        self.err = sys.stderr if err is None else err
        self.file: str | None = None

    def _json(self, document: dict[str, Any]) -> None:
        self.out.write(orjson.dumps(document).decode() + "\n")

    def notice(self, message: str) -> None:
        if self.asJson:
            self._json({"type": "notice", "message": message})
        else:
            self.err.write(message + "\n")

    def show(self, result: dict[str, Any], localFallback: bool = False) -> None:
        if result["file"] != self.file:
            self.file = result["file"]
            if self.asJson:
                meta = {"type": "meta", "file": result["file"], "sourceKind": "file",
                        "cursor": result["cursor"], "size": result["size"]}
                if localFallback:
                    meta["localFallback"] = True
                self._json(meta)
            else:
                self.out.write(f"Log file: {result['file']}\n")
        elif result.get("reset"):
            self.notice(RESET)
        for line in result["lines"]:
            entry = parse_line(line)
            if self.asJson:
                self._json(entry.toJson() if entry else {"type": "raw", "raw": line})
            else:
                self.out.write((format_entry(entry, self.style, self.utc) if entry else line) + "\n")
        if result.get("truncated"):
            self.notice(TRUNCATED)
        self.out.flush()
        self.err.flush()


async def _read_local_file(options: LogsOptions) -> dict[str, Any]:
    """The tail of the log file the local config names (what its gateway writes)."""
    local = options.local
    settings = LogSettings.fromConfig(local.config, environ=local.environ)
    family = log_family(settings.profile, settings.file, directory=settings.directory, environ=local.environ)
    path = await deferToThread(family.newest)
    try:
        return await deferToThread(read_tail, path, None, options.limit, options.maxBytes, settings.redactPatterns)
    except OSError as e:
        raise CliError(f"log read failed: {e}")


def _params(options: LogsOptions, cursor: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": options.limit, "maxBytes": options.maxBytes}
    if cursor is not None:
        params["cursor"] = cursor
    return params


async def _once(reactor: Any, options: LogsOptions, printer: Printer) -> int:
    try:
        result = await rpc(reactor, options, "logs", "logs.tail", _params(options, None))
    except CliError as e:
        if e.errorType not in _FALLBACK_KINDS or resolve_target(options).source != "local loopback":
            raise
        sys.stderr.write(FALLBACK + "\n")
        printer.show(await _read_local_file(options), localFallback=True)
        return 0
    printer.show(result)
    return 0


async def _follow(reactor: Any, options: LogsOptions, printer: Printer) -> int:
    """Poll forever; only an auth/config error or too many failed reconnects end it."""

    def sleep(seconds: float):
        return deferLater(reactor, seconds, lambda: None)

    target = resolve_target(options)
    require_credentials(target, options.local, "logs")
    client = None
    cursor: int | None = None
    failures = 0
    while True:
        try:
            if client is None:
                client = await open_client(reactor, target, options.timeoutMs)
                if failures:
                    sys.stderr.write("[logs] gateway reconnected\n")
                    failures = 0
            result = await call(client, "logs.tail", _params(options, cursor), options.timeoutMs)
        except CliError as e:
            if e.errorType not in _TRANSIENT:
                raise
            if client is not None:
                client.close()
                client = None
            failures += 1
            if failures > MAX_RETRIES:
                raise CliError(f"{e.message}\n[logs] gave up after {MAX_RETRIES} reconnect attempts.", e.errorType)
            delay = backoff_seconds(failures)
            sys.stderr.write(f"[logs] gateway disconnected, reconnecting in {delay}s...\n")
            sys.stderr.flush()
            await sleep(delay)
            continue
        printer.show(result)
        cursor = result["cursor"]
        await sleep(options.intervalMs / 1000)


def main(argv: list[str], environ: MutableMapping[str, str]) -> int:
    options = parse(LogsOptions, argv, environ, "logs")
    plain = options["plain"] or options["no-color"]
    style = Style(environ={**environ, "NO_COLOR": "1"} if plain else environ)
    printer = Printer(bool(options["json"]), style, bool(options["utc"]))

    async def body(reactor: Any) -> int:
        if options["follow"]:
            return await _follow(reactor, options, printer)
        return await _once(reactor, options, printer)

    return run_cli(options, body)
