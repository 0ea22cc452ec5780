"""
C{openclaw config get|set|unset PATH [VALUE]}: read and edit the config file by path,
locally (no gateway connection).  Writes go through the one validated config write
(L{write_config}) with the gateway's own settings build as the check, so an edit a
gateway would refuse at reload is refused here with the same text; the file is
replaced atomically, keeping the previous one as C{openclaw.json.bak}.  The reply
says what a running gateway of this state dir does with the change.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Mapping

from twisted.python import usage

from openclaw.config import diff, outcome
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
)
from openclaw.config.environ import config_environ
from openclaw.config.includes import IncludeError, IncludeTree, include_roots
from openclaw.config.load import ConfigError, load_source
from openclaw.config.secrets import redact_config
from openclaw.config.write import config_text, write_config
from openclaw.paths import Paths
from openclaw.services.runtime import running_gateways

if TYPE_CHECKING:
    from openclaw.config.load import ConfigSource
    from openclaw.settings import GatewaySettings


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


def _get(options: GetOptions, paths: Paths, environ: Mapping[str, str]) -> int:
    parts = _parts(options["path"])
    shown = options["path"]
    try:
        value = get_path(redact_config(_authored(paths.configPath, environ)), parts)
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


def _check(environ: Mapping[str, str], paths: Paths) -> Callable[[ConfigSource], GatewaySettings]:
    # the gateway's own settings build is the check (imported here: only writes need it)
    from openclaw.settings import offline_check

    return offline_check(environ, paths)


def _accepted(paths: Paths, environ: Mapping[str, str]) -> GatewaySettings | None:
    """The settings a gateway builds from the config as it is now; None when it would refuse it."""
    try:
        source = load_source(paths.configPath, environ)
        return _check(environ, paths)(source) if source is not None else None
    except ConfigError:
        return None


def _write(paths: Paths, document: dict[str, Any], text: str | None, environ: Mapping[str, str]) -> str:
    """Write C{document} through the validated config write; what a running gateway does with it."""
    path = paths.configPath
    if text is not None and has_comments(text):
        sys.stderr.write(f"Config write will strip JSON5 comments from {path}.\n")
    before = _accepted(paths, environ)
    try:
        _, after = write_config(path, config_text(document), environ, _check(environ, paths))
    except ConfigError as e:
        raise _Failed("\n".join(f"Config validation failed: {issue}" for issue in e.issues)) from None
    return _applies(paths, before, after)


def _applies(paths: Paths, before: GatewaySettings | None, after: GatewaySettings) -> str:
    """The sentence after C{Updated <path>.}: what happens to the change now."""
    if before is None:  # the gateway could not have loaded the previous file: compare with nothing
        plan = diff.plan({}, after.config, sameAuthMode=False)
        mode = outcome.reload_mode(after.config)
    else:
        plan = diff.plan(before.config, after.config, sameAuthMode=before.authMode == after.authMode)
        mode = outcome.reload_mode(before.config)
    decided = outcome.outcome(plan, mode)
    if decided.kind == outcome.UNCHANGED:
        return "The value is unchanged; nothing to apply."
    if not running_gateways(paths):
        return "No gateway is running; it applies when the gateway starts."
    shown = ", ".join(decided.paths)
    return {
        outcome.HOT: "The running gateway applies it without a restart.",
        outcome.RESTART: f"The running gateway restarts to apply it ({shown}).",
        outcome.MANUAL: f"Restart the gateway to apply it ({shown}; gateway.reload.mode is hot).",
        outcome.OFF: "Restart the gateway to apply it (gateway.reload.mode is off).",
    }[decided.kind]


def _refuse_included(document: dict[str, Any], parts: list[str | int], shown: str) -> None:
    where = included_at(document, parts)
    if where is not None:
        raise _Failed(f"Cannot change {shown}: {where} comes from an $include; edit the included file instead.")


def _set(options: SetOptions, paths: Paths, environ: Mapping[str, str]) -> int:
    parts = _parts(options["path"])
    try:
        value = parse_value(options["value"], strict=options["strict-json"] or options["json"])
    except ValueError as e:
        raise _Failed(str(e)) from None
    document, text = read_document(paths.configPath)
    _refuse_included(document, parts, options["path"])
    try:
        changed = set_path(document, parts, value)
    except PathError as e:
        raise _Failed(str(e)) from None
    print(f"Updated {options['path']}. {_write(paths, changed, text, environ)}")
    return 0


def _unset(options: UnsetOptions, paths: Paths, environ: Mapping[str, str]) -> int:
    parts = _parts(options["path"])
    document, text = read_document(paths.configPath)
    _refuse_included(document, parts, options["path"])
    try:
        changed = unset_path(document, parts)
    except KeyError:
        raise _Failed(
            f"Config path not found: {options['path']}. Nothing was changed. "
            "Run openclaw config get <path> first if you are unsure of the path."
        ) from None
    print(f"Removed {options['path']}. {_write(paths, changed, text, environ)}")
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
        return _ACTIONS[name](options, paths, env)
    except ConfigError as e:
        sys.stderr.write(f"{describe_invalid(e)}\n")
    except _Failed as e:
        sys.stderr.write(f"{e}\n")
    return 1
