"""
C{read}, C{write} and C{edit}: files inside the agent's workspace, read and
written on a thread. A path that resolves outside the workspace (C{..}, an
absolute path elsewhere, a symlink pointing out) is refused.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from openclaw.agents.tools.base import AgentTool, ToolContext, ToolError, ToolResult, int_arg, string_arg

#: At most this many characters of a file go back to the model per C{read}.
READ_MAX_CHARS = 50_000
WRITE_MAX_CHARS = 2_000_000

_PATH = {"type": "string", "description": "Path relative to the workspace"}


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        raise ToolError(f"no such file: {os.path.basename(path)}") from None
    except IsADirectoryError:
        raise ToolError("path is a directory") from None


class ReadTool(AgentTool):
    name = "read"
    description = "Read a text file from the workspace. Optional offset (first line, 1-based) and limit (lines)."
    parameters = {
        "type": "object",
        "properties": {"path": _PATH, "offset": {"type": "integer"}, "limit": {"type": "integer"}},
        "required": ["path"],
    }

    def run(self, args: Mapping[str, Any], context: ToolContext):
        path = context.inWorkspace(string_arg(args, "path"))
        offset = int_arg(args, "offset", 1, 1, 10**9)
        limit = int_arg(args, "limit", None, 1, 10**9)
        return context.inThread(self._read, path, offset, limit)

    @staticmethod
    def _read(path: str, offset: int, limit: int | None) -> ToolResult:
        lines = _read_text(path).splitlines(keepends=True)
        chosen = lines[offset - 1:] if limit is None else lines[offset - 1:offset - 1 + limit]
        text = "".join(chosen)
        truncated = len(text) > READ_MAX_CHARS
        if truncated:
            text = text[:READ_MAX_CHARS] + "\n[truncated: read on with a larger offset]"
        return ToolResult(text, {"path": path, "lines": len(chosen), "totalLines": len(lines), "truncated": truncated})


class WriteTool(AgentTool):
    name = "write"
    description = "Create or overwrite a file in the workspace with the given content."
    parameters = {
        "type": "object",
        "properties": {"path": _PATH, "content": {"type": "string"}},
        "required": ["path", "content"],
    }

    def run(self, args: Mapping[str, Any], context: ToolContext):
        path = context.inWorkspace(string_arg(args, "path"))
        content = string_arg(args, "content")
        if len(content) > WRITE_MAX_CHARS:
            raise ToolError(f"content is longer than {WRITE_MAX_CHARS} characters")
        return context.inThread(self._write, path, content)

    @staticmethod
    def _write(path: str, content: str) -> ToolResult:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
        size = len(content.encode("utf-8"))
        return ToolResult(f"wrote {size} bytes", {"path": path, "bytes": size})


class EditTool(AgentTool):
    name = "edit"
    description = "Replace one exact occurrence of oldText with newText in a workspace file."
    parameters = {
        "type": "object",
        "properties": {"path": _PATH, "oldText": {"type": "string"}, "newText": {"type": "string"}},
        "required": ["path", "oldText", "newText"],
    }

    def run(self, args: Mapping[str, Any], context: ToolContext):
        path = context.inWorkspace(string_arg(args, "path"))
        old, new = string_arg(args, "oldText"), string_arg(args, "newText")
        if not old:
            raise ToolError("oldText must not be empty")
        return context.inThread(self._edit, path, old, new)

    @staticmethod
    def _edit(path: str, old: str, new: str) -> ToolResult:
        text = _read_text(path)
        found = text.count(old)
        if found != 1:
            raise ToolError("oldText was not found" if found == 0 else f"oldText occurs {found} times; give more context")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(old, new, 1))
        return ToolResult("edited 1 occurrence", {"path": path})
