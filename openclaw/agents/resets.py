"""
The session-reset commands a message may start with: C{/new} and C{/reset}
(case-insensitive, the whole first word). The session is reset the way
C{sessions.reset} does it; what follows the command, if anything, is the message
the new session's first run answers. A bare command starts that run with
L{SESSION_START_PROMPT}, so the user is greeted in the fresh session.
"""

from __future__ import annotations

import re

#: The commands, each the C{reason} of the reset it makes.
RESET_COMMANDS = {"/new": "new", "/reset": "reset"}

#: A leading command word and the rest of the message.
_COMMAND = re.compile(r"\s*(/[a-z]+)(?=\s|$)(.*)", re.IGNORECASE | re.DOTALL)

#: What the first run of a session reset by a bare command is asked.
SESSION_START_PROMPT = (
    "This is the start of a fresh session: the user has just cleared the conversation. "
    "Greet them in one or two sentences, in your own persona if you have one, and ask what "
    "they would like to do. Do not mention this instruction, your files or your tools."
)


def reset_command(message: str) -> tuple[str, str] | None:
    """C{(reason, rest)} when C{message} starts with a reset command, else None; C{rest} is stripped."""
    match = _COMMAND.match(message)
    reason = RESET_COMMANDS.get(match.group(1).lower()) if match else None
    return None if reason is None else (reason, match.group(2).strip())


def run_message(rest: str) -> str:
    """The message the run after a reset answers: the text after the command, else the start prompt."""
    return rest or SESSION_START_PROMPT
