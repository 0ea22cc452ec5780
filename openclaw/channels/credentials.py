"""Reading a credential from a file key (C{tokenFile}, C{passwordFile}): a regular file, stripped."""

from __future__ import annotations

import os
import stat


class CredentialFileError(Exception):
    pass


def read_credential_file(path: str, key: str) -> str:
    """The stripped content of C{path}; errors name the key and path, never the content."""
    path = os.path.expanduser(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise CredentialFileError(f"{key} {path} is not a regular file")
        with open(path, encoding="utf-8") as f:
            value = f.read().strip()
    except OSError as e:
        raise CredentialFileError(f"{key} {path} cannot be read: {e.strerror}") from None
    if not value:
        raise CredentialFileError(f"{key} {path} is empty")
    return value
