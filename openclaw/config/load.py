"""
Read the config file: JSON5, C{$include}, C{${VAR}} substitution, then validation.

L{read_source} and L{load_source} return a L{ConfigSource}, whose C{included}
lists the files the config pulled in (the reload watcher watches those too);
L{read_config} and L{load_config} return just the config dict.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from openclaw.config.environ import apply_env_vars
from openclaw.config.includes import IncludeError, IncludeTree, include_roots, read_text
from openclaw.config.schema import validate
from openclaw.config.substitute import substitute


class ConfigError(Exception):
    """
    The config at C{path} cannot be used.

    @ivar issues: one readable line per problem.
    @ivar included: included files met before the failure, so a watcher can
        still notice when a broken include gets fixed.
    @ivar digest: L{contents_digest} of the file and those includes as read
        (set by L{read_source} and L{load_source}): the content the watcher has seen.
    """

    def __init__(
        self, path: str, issues: Iterable[str], included: Iterable[str] = (), digest: str | None = None
    ) -> None:
        self.path = path
        self.issues = list(issues)
        self.included = list(included)
        self.digest = digest
        super().__init__("\n".join(self.issues))


@dataclass(frozen=True)
class ConfigSource:
    path: str
    config: dict[str, Any]
    included: tuple[str, ...]
    #: L{content_hash} of the main file as read (clients see its keyed L{revision}).
    hash: str = ""
    #: L{contents_digest} of the main file and its includes as read (what the reload watcher accepts).
    digest: str = ""


def content_hash(text: str) -> str:
    """
    The SHA-256 of a config file's raw text. Internal: it is a digest of secrets,
    so clients only ever see its keyed form (L{openclaw.config.revision}).
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def contents_digest(texts: Iterable[str | None]) -> str:
    """
    One hash over the texts of a config file and its includes, in order (None: a
    missing or unreadable file). The reload watcher compares it with L{files_digest}.
    """
    digest = hashlib.sha256()
    for text in texts:
        digest.update(b"0" if text is None else b"1" + hashlib.sha256(text.encode("utf-8")).digest())
    return digest.hexdigest()


def files_digest(paths: Iterable[str]) -> str:
    """L{contents_digest} of C{paths} as they are on disk now (blocking)."""
    return contents_digest(_text_or_none(path) for path in paths)


def _text_or_none(path: str) -> str | None:
    """The text as L{read_text} reads it; None where that fails."""
    try:
        return read_text(path)
    except IncludeError:
        return None


def lookup(config: Mapping[str, Any], dotted: str, default: Any = None) -> Any:
    """The value at C{gateway.auth.token}-style C{dotted} in C{config}, or C{default}."""
    node: Any = config
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def read_source(path: str, environ: Mapping[str, str]) -> ConfigSource | None:
    """
    Parse the config at C{path} and resolve includes and C{${VAR}} references,
    without validating it. None when there is no file.

    References may also name variables the config's own C{env} block defines
    (as in OpenClaw), but C{environ} itself is not changed.

    @raise ConfigError: unreadable or malformed file, bad include, missing variable.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigError(path, [f"{path}: cannot read: {e.strerror}"], (), contents_digest([None])) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(path, [f"{path}: not a regular file"], (), contents_digest([None]))
    tree = IncludeTree(path, include_roots(path, environ))
    text: str | None = None

    def failed(issues: Iterable[str]) -> ConfigError:
        return ConfigError(path, issues, tree.files, contents_digest([text, *map(tree.texts.get, tree.files)]))

    try:
        text = read_text(path)
        raw = tree.load(text)
    except IncludeError as e:
        raise failed([str(e)]) from None
    if not isinstance(raw, dict):
        raise failed([f"{path}: the config root must be an object"])
    config, issues = substitute(raw, apply_env_vars(raw, environ))
    if issues:
        raise failed(issues)
    digest = contents_digest([text, *map(tree.texts.get, tree.files)])
    return ConfigSource(path, config, tuple(tree.files), content_hash(text), digest)


def read_config(path: str, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """L{read_source}, returning only the config."""
    source = read_source(path, environ)
    return None if source is None else source.config


def load_source(path: str, environ: Mapping[str, str]) -> ConfigSource | None:
    """
    L{read_source}, then strict validation. None when there is no file.

    @raise ConfigError: with every validation issue.
    """
    source = read_source(path, environ)
    if source is None:
        return None
    issues = validate(source.config)
    if issues:
        raise ConfigError(path, issues, source.included, source.digest)
    return source


def load_config(path: str, environ: Mapping[str, str]) -> dict[str, Any] | None:
    """L{load_source}, returning only the config."""
    source = load_source(path, environ)
    return None if source is None else source.config
