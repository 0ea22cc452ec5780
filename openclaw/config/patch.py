"""
JSON merge patches on a config document (C{config.patch}): RFC 7396 plus
C{replacePaths}, the paths whose patch value replaces the target's whole.
"""

from __future__ import annotations

from typing import Any


class PatchError(ValueError):
    """A patch that cannot be applied as asked."""


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge key by key, C{null} deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def replace_paths(merged: dict[str, Any], patch: dict[str, Any], paths: list[str]) -> None:
    """
    In C{merged} (the result of L{merge_patch} with C{patch}), give each dotted path
    of C{paths} the patch's value whole instead of the merge. A path the patch does
    not set is skipped.

    @raise PatchError: a path crosses a value of the patch that is not an object.
    """
    for dotted in paths:
        keys = dotted.split(".")
        source: Any = patch
        for depth, key in enumerate(keys):
            if source is None:
                break
            if not isinstance(source, dict):
                crossed = ".".join(keys[:depth])
                raise PatchError(f"invalid replacePaths entry {dotted}: {crossed} is not an object")
            source = source.get(key)
        if source is None:
            continue
        node = merged
        for key in keys[:-1]:
            node = node[key]  # the merge made every object on the patch's path
        node[keys[-1]] = source


def apply_patch(document: dict[str, Any], patch: dict[str, Any], replace: list[str] = ()) -> dict[str, Any]:
    """C{document} merge-patched with C{patch}, C{replace} paths taken whole. @raise PatchError."""
    merged = merge_patch(document, patch)
    replace_paths(merged, patch, list(replace))
    return merged


__all__ = ["PatchError", "apply_patch", "merge_patch", "replace_paths"]
