"""
C{openclaw config get|set|unset PATH [VALUE]}: read and edit the config file by path,
locally (no gateway involved).  Writes are validated first and replace the file
atomically, keeping the previous one as C{openclaw.json.bak}.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Mapping

from twisted.python import usage

from openclaw.config.edit import (
    PathError,
    get_path,
    has_comments,
    included_at,
    known_path,
    parse_path,
    parse_value,
    read_document,
    set_path,
    unset_path,
    write_document,
)
from openclaw.config.environ import config_environ
from openclaw.config.includes import IncludeError, IncludeTree, include_roots
from openclaw.config.load import ConfigError
from openclaw.config.secrets import redact_config
from openclaw.paths import Paths

RESTART_HINT = "Restart the gateway to apply."


class _Failed(Exception):
    """Print the message on stderr and exit 1."""


class GetOptions(usage.Options):
    synopsis = "Usage: openclaw config get <path> [--json]"
    optFlags = [["json", None, "Output JSON"]]

    def parseArgs(self, path: str) -> None:
        self["path"] = path


class SetOptions(usage.Options):
    synopsis = "Usage: openclaw config set <path> <value> [--strict-json]"
    optFlags = [
        ["strict-json", None, "Require the value to parse as JSON5 (otherwise it may be a plain string)"],
        ["json", None, "Same as --strict-json"],
    ]

    def parseArgs(self, path: str, value: str) -> None:
        self["path"], self["value"] = path, value


class UnsetOptions(usage.Options):
    synopsis = "Usage: openclaw config unset <path>"

    def parseArgs(self, path: str) -> None:
        self["path"] = path


USAGE = "Usage: openclaw config get|set|unset <path> [value]"
_SUBCOMMANDS = {"get": GetOptions, "set": SetOptions, "unset": UnsetOptions}


def flags_first(argv: list[str]) -> list[str]:
    """
    Flags may follow the arguments (C{config get gateway --json}): move them in
    front, as getopt wants them.  After C{--} everything is an argument.
    """
    if "--" in argv:
        cut = argv.index("--")
        head, tail = argv[:cut], argv[cut:]
    else:
        head, tail = argv, []
    return [a for a in head if a.startswith("--")] + [a for a in head if not a.startswith("--")] + tail


def _parts(text: str) -> list[str | int]:
    try:
        return parse_path(text)
    except PathError as e:
        raise _Failed(str(e)) from None


def describe_invalid(error: ConfigError) -> str:
    """The lines that say why a config file cannot be used."""
    return "\n".join([f"Config is invalid: {error.path}", *(f"- {issue}" for issue in error.issues)])


def _authored(path: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The config as written, includes spliced in, C{${VAR}} references kept as typed."""
    document, text = read_document(path)
    if text is None:
        return document
    try:
        return IncludeTree(path, include_roots(path, environ)).load(text)
    except IncludeError as e:
        raise ConfigError(path, [str(e)]) from None


def _get(options: GetOptions, path: str, environ: Mapping[str, str]) -> int:
    parts = _parts(options["path"])
    shown = options["path"]
    try:
        value = get_path(redact_config(_authored(path, environ)), parts)
    except KeyError:
        if known_path(parts):
            raise _Failed(
                f"Config path is valid but unset: {shown}. The runtime default applies until you set "
                f"an authored value with openclaw config set {shown} <value>."
            ) from None
        raise _Failed(f"Unknown config path: {shown}.") from None
    if isinstance(value, str) and not options["json"]:
        print(value)
    else:
        print(json.dumps(value, indent=2, ensure_ascii=False))
    return 0


def _write(path: str, document: dict[str, Any], text: str | None, environ: Mapping[str, str]) -> None:
    if text is not None and has_comments(text):
        sys.stderr.write(f"Config write will strip JSON5 comments from {path}.\n")
    try:
        write_document(path, document, environ)
    except ConfigError as e:
        raise _Failed("\n".join(f"Config validation failed: {issue}" for issue in e.issues)) from None


def _refuse_included(document: dict[str, Any], parts: list[str | int], shown: str) -> None:
    where = included_at(document, parts)
    if where is not None:
        raise _Failed(f"Cannot change {shown}: {where} comes from an $include; edit the included file instead.")


def _set(options: SetOptions, path: str, environ: Mapping[str, str]) -> int:
    parts = _parts(options["path"])
    try:
        value = parse_value(options["value"], strict=options["strict-json"] or options["json"])
    except ValueError as e:
        raise _Failed(str(e)) from None
    document, text = read_document(path)
    _refuse_included(document, parts, options["path"])
    try:
        changed = set_path(document, parts, value)
    except PathError as e:
        raise _Failed(str(e)) from None
    _write(path, changed, text, environ)
    print(f"Updated {options['path']}. {RESTART_HINT}")
    return 0


def _unset(options: UnsetOptions, path: str, environ: Mapping[str, str]) -> int:
    parts = _parts(options["path"])
    document, text = read_document(path)
    _refuse_included(document, parts, options["path"])
    try:
        changed = unset_path(document, parts)
    except KeyError:
        raise _Failed(
            f"Config path not found: {options['path']}. Nothing was changed. "
            "Run openclaw config get <path> first if you are unsure of the path."
        ) from None
    _write(path, changed, text, environ)
    print(f"Removed {options['path']}. {RESTART_HINT}")
    return 0


_ACTIONS = {"get": _get, "set": _set, "unset": _unset}


def main(argv: list[str], environ: Mapping[str, str]) -> int:
    name = argv[0] if argv else None
    if name not in _SUBCOMMANDS:
        if name in ("-h", "--help"):
            print(USAGE)
            return 0
        sys.stderr.write(f"openclaw config: {'unknown subcommand ' + repr(name) if name else 'missing subcommand'}\n{USAGE}\n")
        return 1
    options = _SUBCOMMANDS[name]()
    try:
        options.parseOptions(flags_first(argv[1:]))
    except usage.UsageError as e:
        sys.stderr.write(f"openclaw config {name}: {e}\n{options}")
        return 1
    paths = Paths.fromEnvironment(environ)
    env = config_environ(dict(environ), paths.stateDir, os.getcwd())
    try:
        return _ACTIONS[name](options, paths.configPath, env)
    except ConfigError as e:
        sys.stderr.write(f"{describe_invalid(e)}\n")
    except _Failed as e:
        sys.stderr.write(f"{e}\n")
    return 1
