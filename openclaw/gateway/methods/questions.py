"""
C{question.list}: questions an agent run put to the operator and is waiting on.
Runs ask them through a tool, and this gateway runs no tools yet, so none is ever
open and the list is empty.
"""

from __future__ import annotations

from typing import Any

from openclaw.gateway.methods import CallContext, MethodRegistry, closed
from openclaw.protocol import scopes


def register(registry: MethodRegistry, tree, shell) -> None:
    def open_questions(params: dict, ctx: CallContext) -> dict[str, Any]:
        return {"questions": []}

    registry.add("question.list", scopes.QUESTIONS, open_questions, closed())
