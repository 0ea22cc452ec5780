"""Check frames the gateway sends against OpenClaw's published protocol JSON Schema.

The schema is ``protocol.schema.json`` from the npm package ``@openclaw/gateway-protocol``.
:func:`schema_path` fetches it once with ``npm pack`` into a cache directory
(``$OPENCLAW_TEST_CACHE``, else ``~/.cache/openclaw-gateway-tests``) and reuses it from then
on; without npm (or when it fails) it falls back to the copy in ``<repo>/../shared/reference``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT7

PACKAGE = "@openclaw/gateway-protocol"
VERSION = "2026.9.1"
_TARBALL_MEMBER = "package/protocol.schema.json"
SHARED_REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
_SHARED_COPY = SHARED_REFERENCE / "protocol.schema.json"
_HEALTH_POINTER = "/definitions/HelloOk/properties/snapshot/properties/health"
# An unreachable registry should mean a quick fallback, not minutes of npm retrying.
_NPM_OPTIONS = (
    "--ignore-scripts",
    "--prefer-offline",
    "--fetch-retries=0",
    "--fetch-timeout=60000",
    "--loglevel=error",
)
_NPM_TIMEOUT_S = 180
_MAX_FRAME_CHARS = 2000
_MAX_MESSAGE_CHARS = 400


def cache_dir() -> Path:
    return Path(os.environ.get("OPENCLAW_TEST_CACHE") or Path.home() / ".cache" / "openclaw-gateway-tests")


def _fetch_with_npm(target: Path) -> None:
    """``npm pack`` the package and extract the schema to *target* (atomically)."""
    npm = shutil.which("npm")
    if npm is None:
        raise OSError("npm is not installed")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        done = subprocess.run(
            [npm, "pack", f"{PACKAGE}@{VERSION}", *_NPM_OPTIONS],
            cwd=tmp,
            capture_output=True,
            timeout=_NPM_TIMEOUT_S,
        )
        if done.returncode != 0:
            raise OSError(f"npm pack exited {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}")
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as tar:
            member = tar.extractfile(_TARBALL_MEMBER)
            if member is None:
                raise KeyError(f"{_TARBALL_MEMBER} is not a regular file in {tarball.name}")
            partial = Path(tmp) / "protocol.schema.json"
            partial.write_bytes(member.read())
        os.replace(partial, target)


@functools.cache
def schema_path() -> Path:
    """Path of ``protocol.schema.json``: npm-fetched cache, else the shared reference copy."""
    cached = cache_dir() / f"gateway-protocol-{VERSION}" / "protocol.schema.json"
    if cached.is_file():
        return cached
    try:
        _fetch_with_npm(cached)
        return cached
    except (OSError, ValueError, KeyError, subprocess.SubprocessError, tarfile.TarError) as exc:
        npm_error = exc
    if _SHARED_COPY.is_file():
        return _SHARED_COPY
    raise FileNotFoundError(
        f"protocol.schema.json not available: `npm pack {PACKAGE}@{VERSION}` failed ({npm_error!r}) "
        f"and there is no shared copy at {_SHARED_COPY}"
    )


@functools.cache
def load_schema() -> dict[str, Any]:
    with schema_path().open("rb") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@functools.cache
def _registry() -> Registry:
    schema = load_schema()
    return Registry().with_resource(schema["$id"], DRAFT7.create_resource(schema))


def _ref(pointer: str) -> dict[str, str]:
    """A schema that refers to the node at JSON *pointer* inside the protocol schema."""
    return {"$ref": f"{load_schema()['$id']}#{pointer}"}


def _compile(schema: dict[str, Any]) -> Draft7Validator:
    return Draft7Validator(schema, registry=_registry())


@functools.cache
def frame_validator() -> Draft7Validator:
    """Validator for the top-level schema (any frame); ``#/definitions/X`` refs resolve."""
    return _compile(load_schema())


@functools.cache
def definition_validator(name: str) -> Draft7Validator:
    """Validator for ``#/definitions/<name>``."""
    if name not in load_schema()["definitions"]:
        raise KeyError(f"no definition {name!r} in {schema_path()}")
    return _compile(_ref(f"/definitions/{name}"))


def _pascal(dotted: str) -> str:
    """``device.pair.setup.deliveryUncertain`` -> ``DevicePairSetupDeliveryUncertain``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[.\-_]", dotted))


def _event_payload_schema(event: str) -> dict[str, Any] | None:
    """Payload schema of *event*: hand-written for events the schema has no definition for,
    otherwise ``<PascalCaseName>Event`` (``tick`` -> ``TickEvent``) when that definition exists."""
    if event == "presence":
        return {
            "type": "object",
            "required": ["presence"],
            "properties": {"presence": {"type": "array", "items": _ref("/definitions/PresenceEntry")}},
            "additionalProperties": False,
        }
    if event == "health":
        return _ref(_HEALTH_POINTER)
    if event == "connect.challenge":
        return {
            "type": "object",
            "required": ["nonce", "ts"],
            "properties": {
                "nonce": {"type": "string", "minLength": 1},
                "ts": {"type": "integer", "minimum": 0},
                "capabilities": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": False,
        }
    name = f"{_pascal(event)}Event"
    return _ref(f"/definitions/{name}") if name in load_schema()["definitions"] else None


@functools.cache
def _event_payload_validator(event: str) -> Draft7Validator | None:
    schema = _event_payload_schema(event)
    return None if schema is None else _compile(schema)


@functools.cache
def _result_validator(method: str) -> Draft7Validator | None:
    """Validator for the ``ok`` payload of *method*: ``health`` returns the health snapshot,
    other methods ``<PascalCaseMethod>Result`` when the schema defines it."""
    if method == "health":
        return _compile(_ref(_HEALTH_POINTER))
    name = f"{_pascal(method)}Result"
    return definition_validator(name) if name in load_schema()["definitions"] else None


def _payload_validator(frame: dict[str, Any], request_method: str | None) -> Draft7Validator | None:
    if frame["type"] == "event":
        return _event_payload_validator(frame["event"])
    if frame["type"] == "res" and frame["ok"]:
        payload = frame.get("payload")
        if isinstance(payload, dict) and payload.get("type") == "hello-ok":
            return definition_validator("HelloOk")
        if request_method is not None:
            return _result_validator(request_method)
    return None


def _envelope_errors(frame: dict[str, Any]) -> list[ValidationError]:
    """Top-level errors; a failed ``oneOf`` is explained by the branch the ``type`` selects."""
    schema = load_schema()
    refs = [branch["$ref"] for branch in schema["oneOf"]]
    ref = schema["discriminator"]["mapping"].get(frame.get("type"))
    branch = refs.index(ref) if ref in refs else None
    errors: list[ValidationError] = []
    for error in frame_validator().iter_errors(frame):
        if error.validator == "oneOf" and branch is not None:
            errors.extend(e for e in error.context or () if e.relative_schema_path[0] == branch)
        else:
            errors.append(error)
    return errors


def _describe(errors: Iterable[ValidationError], prefix: str) -> list[str]:
    lines: list[str] = []
    for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        message = error.message
        if len(message) > _MAX_MESSAGE_CHARS:
            message = message[:_MAX_MESSAGE_CHARS] + "…"
        lines.append(f"  {prefix}{error.json_path[1:]}: {message}")
    return lines


def assert_valid_frame(frame: dict[str, Any], request_method: str | None = None) -> None:
    """Fail unless *frame* matches the protocol schema.

    Checks the envelope against the top-level schema, then the payload where the schema
    describes it: ``hello-ok`` responses (``HelloOk``), events with a known payload shape, and,
    when *request_method* (the method of the request this frame answers) is given, successful
    responses whose method has a result definition.
    """
    problems = _describe(_envelope_errors(frame), "$")
    if not problems:
        payload_validator = _payload_validator(frame, request_method)
        if payload_validator is not None:
            problems = _describe(payload_validator.iter_errors(frame.get("payload")), "$.payload")
    if problems:
        shown = json.dumps(frame, default=repr)
        if len(shown) > _MAX_FRAME_CHARS:
            shown = shown[:_MAX_FRAME_CHARS] + "…"
        raise AssertionError(
            "frame violates the OpenClaw protocol schema:\n" + "\n".join(problems) + f"\nframe: {shown}"
        )


def assert_valid_frames(frames: Iterable[dict[str, Any]]) -> None:
    for frame in frames:
        assert_valid_frame(frame)


def assert_valid_request(frame: dict[str, Any]) -> None:
    """Fail unless a client's request *frame* matches the schema: the envelope, then its
    ``params`` against ``<PascalCaseMethod>Params``; a method the schema gives no params
    definition (``health``, ``system-presence``, …) must be sent without any."""
    assert_valid_frame(frame)
    method, params = frame["method"], frame.get("params", {})
    name = f"{_pascal(method)}Params"
    if name not in load_schema()["definitions"]:
        assert params in ({}, None), f"{method} has no params in the schema, yet was sent {params!r}"
        return
    problems = _describe(definition_validator(name).iter_errors(params), "$.params")
    if problems:
        raise AssertionError(f"{method} params violate {name}:\n" + "\n".join(problems))
