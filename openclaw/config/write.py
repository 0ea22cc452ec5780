"""
The one validated config write. Every OpenClaw-owned edit of the config file goes
through L{write_config}: C{openclaw config set|unset} and the C{config.set},
C{config.patch} and C{config.apply} RPCs. Before anything changes it runs the
steps a reload of the edited file would run:

 1. refuse the redaction placeholder (a client sent back what C{config.get} showed);
 2. write the new text to a temp file beside the config, so its C{$include}s
    resolve as they will;
 3. load that file: JSON5, includes, C{${VAR}} substitution, schema and rules;
 4. hand it to the caller's C{validate}: the gateway's settings build (security
    rules, SecretRefs), which raises L{ConfigError} to refuse;
 5. keep C{<path>.bak}, then rename the temp file over the config.

A refusal at any step leaves the file untouched and raises L{ConfigError} whose
issues are the texts a reload would log. Blocking: the gateway calls it in a thread.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Callable, Mapping, TypeVar

from openclaw.atomicfile import replacing, write_atomically
from openclaw.config.load import ConfigError, ConfigSource, load_source
from openclaw.config.secrets import REDACTED

T = TypeVar("T")

PLACEHOLDER_REFUSED = f"config contains the redaction placeholder {REDACTED}; send the real values"


def config_text(document: Mapping[str, Any]) -> str:
    """How OpenClaw writes a config document: indented JSON (JSON5 comments are not kept)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def keep_backup(path: str) -> str | None:
    """Copy the config to C{<path>.bak} (owner-only, atomically) before a rewrite; the backup path."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    backup = path + ".bak"
    write_atomically(backup, data)
    return backup


def write_config(
    path: str, text: str, environ: Mapping[str, str], validate: Callable[[ConfigSource], T]
) -> tuple[ConfigSource, T]:
    """
    Replace the config at C{path} with C{text} if it passes every step above;
    returns the loaded source (C{path} as its path) and what C{validate} returned.

    @raise ConfigError: the refusal, naming C{path}; the file is untouched.
    """
    if REDACTED in text:
        raise ConfigError(path, [PLACEHOLDER_REFUSED])
    with replacing(path, text) as tmp:
        try:
            source = load_source(tmp, environ)
        except ConfigError as e:
            raise ConfigError(path, [issue.replace(tmp, path) for issue in e.issues], e.included) from None
        assert source is not None  # the file was just written
        source = dataclasses.replace(source, path=path)
        checked = validate(source)
        if os.path.exists(path):
            keep_backup(path)
    return source, checked


__all__ = ["PLACEHOLDER_REFUSED", "config_text", "keep_backup", "write_config"]
