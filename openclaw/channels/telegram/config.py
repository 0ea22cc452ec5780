"""
One Telegram account's settings: the bot token (C{tokenFile} > C{botToken} >
C{TELEGRAM_BOT_TOKEN} for the default account), the API root, webhook keys and the
access policy. The token is kept out of C{repr} and never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from openclaw.channels.accounts import DEFAULT_ACCOUNT
from openclaw.channels.credentials import CredentialFileError, read_credential_file
from openclaw.channels.policy import AccessPolicy

API_ROOT = "https://api.telegram.org"
TEXT_CHUNK_LIMIT = 4000
WEBHOOK_PATH = "/telegram-webhook"
WEBHOOK_HOST = "127.0.0.1"
WEBHOOK_PORT = 8787


@dataclass(frozen=True)
class TelegramConfig:
    token: str = field(repr=False)
    tokenSource: str
    apiRoot: str
    policy: AccessPolicy
    webhookUrl: str | None = None
    webhookSecret: str | None = field(default=None, repr=False)
    webhookPath: str = WEBHOOK_PATH
    webhookHost: str = WEBHOOK_HOST
    webhookPort: int = WEBHOOK_PORT

    @property
    def mode(self) -> str:
        return "webhook" if self.webhookUrl and self.webhookSecret else "polling"

    def snapshot(self) -> dict[str, Any]:
        snap: dict[str, Any] = {"mode": self.mode, "tokenSource": self.tokenSource, "botTokenSource": self.tokenSource,
                                "baseUrl": self.apiRoot}
        if self.mode == "webhook":
            snap.update(webhookUrl=self.webhookUrl, webhookPath=self.webhookPath, port=self.webhookPort)
        return snap


def normalise_id(raw: str) -> str:
    """An allowlist entry: C{telegram:}/C{tg:} prefixes dropped."""
    raw = raw.strip()
    for prefix in ("telegram:", "tg:"):
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix):]
    return raw.strip().lower()


def resolve(
    accountId: str, section: Mapping[str, Any], environ: Mapping[str, str], secret: Callable[[str], str | None], inbound: Any
) -> tuple[TelegramConfig | None, str | None]:
    try:
        if section.get("tokenFile"):
            token, source = read_credential_file(str(section["tokenFile"]), "tokenFile"), "tokenFile"
        elif isinstance(section.get("botToken"), Mapping):
            token, source = secret("botToken"), "secretRef"
        elif section.get("botToken"):
            token, source = str(section["botToken"]).strip(), "config"
        elif accountId == DEFAULT_ACCOUNT and environ.get("TELEGRAM_BOT_TOKEN"):
            token, source = environ["TELEGRAM_BOT_TOKEN"].strip(), "env"
        else:
            token, source = None, "none"
    except CredentialFileError as e:
        return None, str(e)
    if not token:
        return None, "missing bot token"
    apiRoot = str(section.get("apiRoot") or API_ROOT).rstrip("/")
    if "/bot" in apiRoot:
        return None, "apiRoot must be the API root only (never /bot<TOKEN>)"
    try:
        port = int(section.get("webhookPort") or WEBHOOK_PORT)
    except (TypeError, ValueError):
        return None, "webhookPort is not a number"
    policy = AccessPolicy.fromSection(
        section, normalise_id, TEXT_CHUNK_LIMIT, "off", inbound.mentionPatterns if inbound is not None else ()
    )
    return TelegramConfig(
        token=token, tokenSource=source, apiRoot=apiRoot, policy=policy,
        webhookUrl=section.get("webhookUrl") or None, webhookSecret=section.get("webhookSecret") or None,
        webhookPath=str(section.get("webhookPath") or WEBHOOK_PATH),
        webhookHost=str(section.get("webhookHost") or WEBHOOK_HOST), webhookPort=port,
    ), None
