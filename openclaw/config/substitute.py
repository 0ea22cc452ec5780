"""
C{${VAR}} substitution in config string values.

Only upper-case names (C{[A-Z_][A-Z0-9_]*}) are references; C{$${VAR}} stands for
the literal text C{${VAR}}; anything else containing C{$} is left alone.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

_REFERENCE = re.compile(r"\$\$\{([A-Z_][A-Z0-9_]*)\}|\$\{([A-Z_][A-Z0-9_]*)\}")


def has_reference(value: str) -> bool:
    """Whether C{value} has a C{${VAR}} that substitution would replace."""
    return any(m.group(2) for m in _REFERENCE.finditer(value))


def substitute(tree: dict[str, Any], environ: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """
    Replace references in every string below C{tree}.

    @return: the new tree, and one issue per missing or empty variable, naming
        the config path of the value (the reference is then left as written).
    """
    issues: list[str] = []

    def replace(value: str, path: str) -> str:
        def one(match: re.Match[str]) -> str:
            escaped, name = match.groups()
            if escaped:
                return "${" + escaped + "}"
            found = environ.get(name)
            if not found:
                issues.append(f"{path}: missing environment variable {name}")
                return match.group(0)
            return found

        return _REFERENCE.sub(one, value)

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, str):
            return replace(value, path)
        if isinstance(value, list):
            return [walk(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: walk(item, f"{path}.{key}" if path else key) for key, item in value.items()}
        return value

    return walk(tree, ""), issues
