"""
C{gateway.http.*}: which OpenAI-compatible endpoints are on, their limits, and the
security headers every HTTP answer carries (http-api.md §1.2, §4; config.md).

The surfaces are always mounted; each request reads this section from the hub's
current settings, so a toggle applies with the next request (no restart). It sits
beside L{openclaw.settings} (not in C{openclaw.gateway.http}) because the CLI builds
settings too and never imports the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from openclaw.agents.models import ModelConfigError, config_object
from openclaw.config.load import lookup

MIB = 1024 * 1024

#: The config keys that switch the endpoints on (named in a disabled endpoint's 404).
CHAT_COMPLETIONS_KEY = "gateway.http.endpoints.chatCompletions.enabled"
RESPONSES_KEY = "gateway.http.endpoints.responses.enabled"

_IMAGE_MIMES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif")
_FILE_MIMES = (
    "text/plain", "text/markdown", "text/html", "text/csv", "application/json", "application/pdf",
)


def _int(section: Mapping[str, Any], name: str, default: int, path: str) -> int:
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ModelConfigError(f"{path}.{name} must be a positive integer (got {value!r})")
    return value


def _mimes(section: Mapping[str, Any], default: tuple[str, ...], path: str) -> tuple[str, ...]:
    value = section.get("allowedMimes", default)
    if not isinstance(value, (list, tuple)) or not all(isinstance(m, str) and m for m in value):
        raise ModelConfigError(f"{path}.allowedMimes must be a list of MIME types")
    return tuple(m.lower() for m in value)


@dataclass(frozen=True)
class ImageLimits:
    """What an image part may be: decoded size, types, and whether URL sources are fetched (we never do yet)."""

    allowUrl: bool = False
    maxBytes: int = 10 * MIB
    allowedMimes: tuple[str, ...] = _IMAGE_MIMES

    @classmethod
    def fromConfig(cls, raw: Any, path: str, allowUrl: bool) -> "ImageLimits":
        section = config_object(raw, path)
        return cls(
            allowUrl=section.get("allowUrl", allowUrl) is True,
            maxBytes=_int(section, "maxBytes", cls.maxBytes, path),
            allowedMimes=_mimes(section, _IMAGE_MIMES, path),
        )


@dataclass(frozen=True)
class FileLimits:
    """What an C{input_file} may be: decoded size, extracted characters, types."""

    maxBytes: int = 5 * MIB
    maxChars: int = 60_000
    allowedMimes: tuple[str, ...] = _FILE_MIMES

    @classmethod
    def fromConfig(cls, raw: Any, path: str) -> "FileLimits":
        section = config_object(raw, path)
        return cls(
            maxBytes=_int(section, "maxBytes", cls.maxBytes, path),
            maxChars=_int(section, "maxChars", cls.maxChars, path),
            allowedMimes=_mimes(section, _FILE_MIMES, path),
        )


@dataclass(frozen=True)
class ChatCompletionsSettings:
    enabled: bool = False
    maxBodyBytes: int = 20 * MIB
    images: ImageLimits = ImageLimits()

    @classmethod
    def fromConfig(cls, raw: Any) -> "ChatCompletionsSettings":
        path = "gateway.http.endpoints.chatCompletions"
        section = config_object(raw, path)
        return cls(
            enabled=section.get("enabled") is True,
            maxBodyBytes=_int(section, "maxBodyBytes", cls.maxBodyBytes, path),
            images=ImageLimits.fromConfig(section.get("images"), f"{path}.images", allowUrl=False),
        )


@dataclass(frozen=True)
class ResponsesSettings:
    enabled: bool = False
    maxBodyBytes: int = 20 * MIB
    maxUrlParts: int = 8
    files: FileLimits = FileLimits()
    images: ImageLimits = ImageLimits(allowUrl=True)

    @classmethod
    def fromConfig(cls, raw: Any) -> "ResponsesSettings":
        path = "gateway.http.endpoints.responses"
        section = config_object(raw, path)
        files = FileLimits.fromConfig(section.get("files"), f"{path}.files")
        images = ImageLimits.fromConfig(section.get("images"), f"{path}.images", allowUrl=True)
        return cls(
            enabled=section.get("enabled") is True,
            # room for a file and an image of the largest allowed size, base64-encoded
            maxBodyBytes=_int(section, "maxBodyBytes", max(cls.maxBodyBytes, 2 * max(files.maxBytes, images.maxBytes)), path),
            maxUrlParts=_int(section, "maxUrlParts", cls.maxUrlParts, path),
            files=files,
            images=images,
        )


@dataclass(frozen=True)
class EmbeddingsSettings:
    """
    Where C{POST /v1/embeddings} goes: a configured model provider whose API is
    C{openai-completions} (its C{<baseUrl>/embeddings}), and the model asked for
    unless the request's C{x-openclaw-model} names another
    (C{agents.defaults.memorySearch.provider} / C{.model}).
    """

    provider: str = "openai"
    model: str = "text-embedding-3-small"

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "EmbeddingsSettings":
        path = "agents.defaults.memorySearch"
        section = config_object(lookup(config, path), path)
        provider, model = section.get("provider", cls.provider), section.get("model", cls.model)
        for name, value in (("provider", provider), ("model", model)):
            if not isinstance(value, str) or not value.strip():
                raise ModelConfigError(f"{path}.{name} must be a non-empty string")
        return cls(provider=provider.strip().lower(), model=model.strip())


@dataclass(frozen=True)
class HttpSettings:
    chatCompletions: ChatCompletionsSettings = ChatCompletionsSettings()
    responses: ResponsesSettings = ResponsesSettings()
    embeddings: EmbeddingsSettings = EmbeddingsSettings()
    #: C{gateway.http.securityHeaders.strictTransportSecurity}: the HSTS value, None: not sent.
    strictTransportSecurity: str | None = None

    @property
    def openaiEnabled(self) -> bool:
        """Either endpoint on also serves C{/v1/models} and C{/v1/embeddings}."""
        return self.chatCompletions.enabled or self.responses.enabled

    @classmethod
    def fromConfig(cls, config: Mapping[str, Any]) -> "HttpSettings":
        """@raise ModelConfigError: a malformed section (start-up refuses it, a reload keeps the old one)."""
        endpoints = config_object(lookup(config, "gateway.http.endpoints"), "gateway.http.endpoints")
        hsts = lookup(config, "gateway.http.securityHeaders.strictTransportSecurity")
        if hsts is not None and hsts is not False and not isinstance(hsts, str):
            raise ModelConfigError("gateway.http.securityHeaders.strictTransportSecurity must be a string or false")
        return cls(
            chatCompletions=ChatCompletionsSettings.fromConfig(endpoints.get("chatCompletions")),
            responses=ResponsesSettings.fromConfig(endpoints.get("responses")),
            embeddings=EmbeddingsSettings.fromConfig(config),
            strictTransportSecurity=hsts.strip() or None if isinstance(hsts, str) else None,
        )


__all__ = [
    "CHAT_COMPLETIONS_KEY", "RESPONSES_KEY", "ChatCompletionsSettings", "EmbeddingsSettings", "FileLimits",
    "HttpSettings", "ImageLimits", "ResponsesSettings",
]
