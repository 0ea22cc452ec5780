"""
The one error type of the protocol, and the wire codes it carries.

A handler raises L{GatewayError}; the connection turns it into the error shape of a
C{res} frame (C{{code, message, details?, retryable?, retryAfterMs?}}). An error may
also carry a C{payload} for the frame (a failed run's final C{agent} answer has both).
"""

from __future__ import annotations

from typing import Any

INVALID_REQUEST = "INVALID_REQUEST"
FORBIDDEN = "FORBIDDEN"
NOT_PAIRED = "NOT_PAIRED"
UNAVAILABLE = "UNAVAILABLE"


class GatewayError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        retryable: bool | None = None,
        retryAfterMs: int | None = None,
        payload: Any = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.retryable = retryable
        self.retryAfterMs = retryAfterMs
        self.payload = payload

    def shape(self) -> dict[str, Any]:
        shape: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            shape["details"] = self.details
        if self.retryable is not None:
            shape["retryable"] = self.retryable
        if self.retryAfterMs is not None:
            shape["retryAfterMs"] = self.retryAfterMs
        return shape

    def __repr__(self) -> str:
        return f"GatewayError({self.code!r}, {self.message!r})"


def missing_scope(scope: str) -> GatewayError:
    return GatewayError(
        FORBIDDEN,
        f"missing scope: {scope}",
        {"code": "MISSING_SCOPE", "missingScope": scope, "requiredScopes": [scope]},
    )


def unknown_method(method: str) -> GatewayError:
    return GatewayError(INVALID_REQUEST, f"unknown method: {method}")


def invalid_params(method: str, problem: str) -> GatewayError:
    return GatewayError(INVALID_REQUEST, f"invalid {method} params: {problem}")
