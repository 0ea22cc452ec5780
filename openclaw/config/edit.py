"""
Editing a config document by path (C{config get|set|unset}, doctor's repairs), and
L{write_document}: doctor's and setup's schema-checked rewrite. Edits the gateway
must accept go through L{openclaw.config.write.write_config} instead.

Blocking file I/O.
"""

from __future__ import annotations

import copy
import json
import os
import re
from typing import Any, Mapping

from openclaw.atomicfile import write_atomically
from openclaw.config import codec
from openclaw.config.includes import INCLUDE_KEY, IncludeError, IncludeTree, include_roots, parse_json5, read_text
from openclaw.config.load import ConfigError
from openclaw.config.schema import SCHEMA, validate
from openclaw.config.write import config_text, keep_backup


# Editing a document by path (C{config get|set|unset}, doctor's repairs) ------------

class PathError(ValueError):
    """A config path that cannot be parsed, or that does not lead anywhere."""


_BRACKET = re.compile(r'\[(?:(\d+)|"((?:[^"\\]|\\.)*)"|\'([^\']*)\')\]')
_KEY = re.compile(r"[^.\[\]]+")


def parse_path(text: str) -> list[str | int]:
    """
    C{gateway.auth.token}, C{agents.list[0].id}, C{channels["my.bot"]} → segments
    (strings for keys, ints for list indexes).

    @raise PathError: an empty path or segment, or a malformed bracket.
    """
    if not text.strip():
        raise PathError("Invalid path: empty")
    parts: list[str | int] = []
    position = 0
    expectKey = True  # at the start, or right after a dot
    while position < len(text):
        if text[position] == "[":
            bracket = _BRACKET.match(text, position)
            if bracket is None or (expectKey and parts):
                raise PathError(f"Invalid path: {text}")
            index, quoted, single = bracket.groups()
            if index is not None:
                parts.append(int(index))
            else:
                parts.append(json.loads(f'"{quoted}"') if quoted is not None else single)
            position, expectKey = bracket.end(), False
        elif expectKey:
            key = _KEY.match(text, position)
            if key is None:
                raise PathError(f"Invalid path (empty segment): {text}")
            parts.append(key.group())
            position, expectKey = key.end(), False
        elif text[position] == ".":
            position, expectKey = position + 1, True
        else:
            raise PathError(f"Invalid path: {text}")
    if expectKey:
        raise PathError(f"Invalid path (empty segment): {text}")
    return parts


def format_path(parts: list[str | int]) -> str:
    """The dotted form of C{parts} (the inverse of L{parse_path} for plain keys)."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_$-]+", part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text


def get_path(document: Any, parts: list[str | int]) -> Any:
    """The value at C{parts}. @raise KeyError: nothing is there."""
    node = document
    for part in parts:
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(format_path(parts))
    return node


def set_path(document: dict[str, Any], parts: list[str | int], value: Any) -> dict[str, Any]:
    """
    A copy of C{document} with C{value} at C{parts}; missing objects on the way are
    created, a list index may name an existing item or the next one (append).

    @raise PathError: the path runs through a value that is not an object or list.
    """
    result = copy.deepcopy(document)
    node: Any = result
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = format_path(parts[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or part > len(node):
                raise PathError(f"Cannot set {format_path(parts)}: {here} is not an item of a list")
            if part == len(node):
                node.append(value if last else {})
            elif last:
                node[part] = value
        else:
            if not isinstance(node, dict):
                raise PathError(f"Cannot set {format_path(parts)}: {format_path(parts[:depth])} is not an object")
            if last:
                node[part] = value
            elif part not in node or node[part] is None:
                node[part] = [] if isinstance(parts[depth + 1], int) else {}
            elif not isinstance(node[part], (dict, list)):
                raise PathError(f"Cannot set {format_path(parts)}: {here} is not an object")
        if not last:
            node = node[part]
    return result


def unset_path(document: dict[str, Any], parts: list[str | int]) -> dict[str, Any]:
    """A copy of C{document} without the value at C{parts}. @raise KeyError: nothing is there."""
    result = copy.deepcopy(document)
    parent = get_path(result, parts[:-1])
    last = parts[-1]
    if isinstance(last, int) and isinstance(parent, list) and 0 <= last < len(parent):
        del parent[last]
    elif isinstance(last, str) and isinstance(parent, dict) and last in parent:
        del parent[last]
    else:
        raise KeyError(format_path(parts))
    return result


def included_at(document: Any, parts: list[str | int]) -> str | None:
    """
    The path of the first object on the way to C{parts} that comes from an
    C{$include} (editing below it would not change the included file), or None.
    """
    node = document
    for depth in range(len(parts) + 1):
        if isinstance(node, dict) and INCLUDE_KEY in node:
            return format_path(parts[:depth]) or "<root>"
        if depth == len(parts):
            return None
        try:
            node = get_path(node, parts[depth : depth + 1])
        except KeyError:
            return None
    return None


def parse_value(text: str, strict: bool = False) -> Any:
    """
    A value typed on the command line: JSON5 when it parses, else the text itself
    (C{strict} makes a parse failure an error).

    @raise ValueError: with C{strict}, the text is not JSON5.
    """
    try:
        return codec.loads(text)
    except ValueError:
        if strict:
            raise ValueError(f"Value is not valid JSON5: {text}") from None
        return text


def has_comments(text: str) -> bool:
    """Whether JSON5 C{text} holds a comment outside its strings (a rewrite loses them)."""
    quote = None
    escaped = False
    for index, char in enumerate(text):
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "/" and text[index + 1 : index + 2] in ("/", "*"):
            return True
    return False


def known_path(parts: list[str | int], schema: Mapping[str, Any] | None = None) -> bool:
    """
    Whether the config schema has a place for C{parts}: a path through closed
    objects must name their keys; below an open object anything goes.
    """
    root = SCHEMA if schema is None else schema
    node: Any = root
    for part in parts:
        while isinstance(node, Mapping) and "$ref" in node:
            node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
        if not isinstance(node, Mapping) or "anyOf" in node:
            return True
        if isinstance(part, int):
            if node.get("type") != "array":
                return False
            node = node.get("items", {})
            continue
        if node.get("type") not in ("object", None):
            return False
        properties = node.get("properties", {})
        if part in properties:
            node = properties[part]
        elif node.get("additionalProperties") is False:
            return False
        elif isinstance(node.get("additionalProperties"), Mapping):
            node = node["additionalProperties"]
        else:
            return True
    return True


def read_document(path: str) -> tuple[dict[str, Any], str | None]:
    """
    The config file as authored (JSON5 parsed; no includes spliced, no variables
    substituted) and its text; C{({}, None)} when there is no file.

    @raise ConfigError: unreadable, not JSON5, or not an object.
    """
    if not os.path.lexists(path):
        return {}, None
    try:
        text = read_text(path)
        document = parse_json5(path, text)
    except IncludeError as e:
        raise ConfigError(path, [str(e)]) from None
    if not isinstance(document, dict):
        raise ConfigError(path, [f"{path}: the config root must be an object"])
    return document, text


def check_document(path: str, document: dict[str, Any], environ: Mapping[str, str]) -> list[str]:
    """
    The validation issues of C{document} as the config at C{path}: its C{$include}s
    spliced in, C{${VAR}} references left as written (the gateway's environment,
    not this process's, fills them in).
    """
    tree = IncludeTree(path, include_roots(path, environ))
    try:
        resolved = tree.load(json.dumps(document))
    except IncludeError as e:
        return [str(e)]
    return validate(resolved)


def write_document(path: str, document: dict[str, Any], environ: Mapping[str, str]) -> None:
    """
    Validate C{document} as the config at C{path}, keep C{<path>.bak}, then replace
    the file atomically.  Nothing changes when it is invalid.

    @raise ConfigError: the validation issues.
    """
    issues = check_document(path, document, environ)
    if issues:
        raise ConfigError(path, issues)
    keep_backup(path)
    write_atomically(path, config_text(document))


__all__ = [
    "PathError",
    "check_document",
    "format_path",
    "get_path",
    "has_comments",
    "included_at",
    "known_path",
    "parse_path",
    "parse_value",
    "read_document",
    "set_path",
    "unset_path",
    "write_document",
]
