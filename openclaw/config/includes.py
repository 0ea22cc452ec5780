"""
Read a JSON5 config file and splice in the files named by its C{$include} directives.

An object holding C{$include} becomes the included content: one file replaces
the object, a list of files is deep-merged in order, and keys written next to
C{$include} are merged on top. Included files may include others (relative to
themselves), up to L{MAX_DEPTH} levels, and must live under one of the allowed
roots: the main config's directory plus the C{OPENCLAW_INCLUDE_ROOTS} entries.
"""

from __future__ import annotations

import os
import re
import stat
from typing import Any, Mapping

from openclaw.config import codec
from openclaw.paths import expand

INCLUDE_KEY = "$include"
MAX_DEPTH = 10
MAX_INCLUDE_BYTES = 2 * 1024 * 1024
MAX_PATH_LENGTH = 4096

_JSON5_POSITION = re.compile(r"^<string>:(\d+) (.*) at column (\d+)$")


class IncludeError(Exception):
    """A problem with one file of the include tree; the message names that file."""


def include_roots(config_path: str, environ: Mapping[str, str]) -> list[str]:
    """The directories included files may come from."""
    roots = [os.path.dirname(os.path.abspath(config_path))]
    for entry in environ.get("OPENCLAW_INCLUDE_ROOTS", "").split(os.pathsep):
        entry = expand(entry.strip(), environ)
        if os.path.isabs(entry):
            roots.append(os.path.normpath(entry))
    return roots


def parse_json5(path: str, text: str) -> Any:
    try:
        return codec.loads(text)
    except ValueError as e:
        found = _JSON5_POSITION.match(str(e))
        if found:
            line, message, column = found.groups()
            raise IncludeError(f"{path}:{line}:{column}: invalid JSON5: {message}") from None
        raise IncludeError(f"{path}: invalid JSON5: {e}") from None


def deep_merge(base: Any, override: Any) -> Any:
    """Objects merge key by key, arrays concatenate, anything else: C{override} wins."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(merged[key], value) if key in merged else value
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    return override


class IncludeTree:
    """
    Expands the includes of one main config file.

    @ivar files: every included path met so far, in the order first met,
        including ones that turned out missing or broken (a watcher wants those).
    @ivar texts: the text each included file had when it was first read.
    """

    def __init__(self, config_path: str, roots: list[str]) -> None:
        self.config_path = os.path.abspath(config_path)
        self.roots = roots
        self.files: list[str] = []
        self.texts: dict[str, str] = {}

    def load(self, text: str) -> Any:
        """Parse the main file's C{text} and expand everything it includes."""
        path = self.config_path
        return self._expand(parse_json5(path, text), path, (path,))

    def _expand(self, value: Any, path: str, chain: tuple[str, ...]) -> Any:
        if isinstance(value, list):
            return [self._expand(item, path, chain) for item in value]
        if not isinstance(value, dict):
            return value
        siblings = {
            key: self._expand(item, path, chain)
            for key, item in value.items()
            if key != INCLUDE_KEY
        }
        if INCLUDE_KEY not in value:
            return siblings
        included = self._include(value[INCLUDE_KEY], path, chain)
        if not siblings:
            return included
        if not isinstance(included, dict):
            raise IncludeError(
                f"{path}: $include with sibling keys needs the included content to be an object"
            )
        return deep_merge(included, siblings)

    def _include(self, spec: Any, path: str, chain: tuple[str, ...]) -> Any:
        if isinstance(spec, str):
            return self._load_file(spec, path, chain)
        if isinstance(spec, list) and all(isinstance(item, str) for item in spec):
            merged: Any = {}
            for item in spec:
                merged = deep_merge(merged, self._load_file(item, path, chain))
            return merged
        raise IncludeError(f"{path}: $include must be a string or an array of strings")

    def _load_file(self, spec: str, path: str, chain: tuple[str, ...]) -> Any:
        target = self._resolve(spec, path)
        if target in chain:
            cycle = " -> ".join(chain + (target,))
            raise IncludeError(f"{path}: circular $include: {cycle}")
        if len(chain) > MAX_DEPTH:
            raise IncludeError(
                f'{path}: $include "{spec}" is nested more than {MAX_DEPTH} levels deep'
            )
        if target not in self.files:
            self.files.append(target)
        text = self.texts.setdefault(target, self._read(spec, path, target))
        return self._expand(parse_json5(target, text), target, chain + (target,))

    def _resolve(self, spec: str, path: str) -> str:
        if len(spec) >= MAX_PATH_LENGTH:
            raise IncludeError(f"{path}: $include path is {MAX_PATH_LENGTH} characters or longer")
        target = os.path.normpath(os.path.join(os.path.dirname(path), spec))
        inside = _inside(target, self.roots)
        # A symlink inside the allowed roots must not lead out of them.
        if inside and os.path.exists(target):
            inside = _inside(os.path.realpath(target), [os.path.realpath(r) for r in self.roots])
        if not inside:
            raise IncludeError(
                f'{path}: $include "{spec}" resolves outside the config directory '
                f"{self.roots[0]} (list extra directories in OPENCLAW_INCLUDE_ROOTS)"
            )
        return target

    def _read(self, spec: str, path: str, target: str) -> str:
        try:
            info = os.stat(target)
        except FileNotFoundError:
            raise IncludeError(f'{path}: $include "{spec}" not found: {target}') from None
        except OSError as e:
            raise IncludeError(f"{target}: cannot read: {e.strerror}") from None
        if not stat.S_ISREG(info.st_mode):
            raise IncludeError(f"{target}: not a regular file")
        if info.st_size > MAX_INCLUDE_BYTES:
            raise IncludeError(f"{target}: included file is larger than {MAX_INCLUDE_BYTES} bytes")
        return read_text(target)


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError:
        raise IncludeError(f"{path}: not valid UTF-8") from None
    except OSError as e:
        raise IncludeError(f"{path}: cannot read: {e.strerror}") from None


def _inside(path: str, roots: list[str]) -> bool:
    return any(os.path.commonpath([root, path]) == root for root in roots)
