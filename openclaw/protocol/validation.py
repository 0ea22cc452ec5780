"""
Validate inbound frames with OpenClaw's published JSON Schema, and describe the
problems the way OpenClaw's gateway does (C{at /client/id: must be equal to one of the
allowed values}), because clients show that text to people.

Every frame is checked on the hot path, so validity is decided by a schema compiled to
Python (fastjsonschema); only an invalid value goes through jsonschema, which lists
every problem for the message. jsonschema is imported on that first invalid value: a
gateway that never sees one never pays its memory.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any, Mapping

import fastjsonschema

if TYPE_CHECKING:  # jsonschema is imported only to explain an invalid value
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import ValidationError


@lru_cache(maxsize=None)
def _definitions() -> dict[str, Any]:
    text = files(__package__).joinpath("inbound.schema.json").read_text("utf-8")
    return json.loads(text)["definitions"]


def _schema(name: str) -> dict[str, Any]:
    schema = dict(_definitions()[name])
    if name == "RequestFrame":
        # Clients of 2026.9 also send the optional routing hint; the frame stays closed.
        schema["properties"] = dict(schema["properties"], expectedProfileId={"type": "string"})
    return schema


class Checker:
    """One schema, compiled twice: a fast validity test and an explaining validator."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self._valid = fastjsonschema.compile(dict(schema), use_default=False)
        self._explain: Draft7Validator | None = None

    def __call__(self, instance: Any) -> str | None:
        """None when C{instance} is valid, else its problems as one line."""
        try:
            self._valid(instance)
        except fastjsonschema.JsonSchemaException as e:
            if self._explain is None:
                from jsonschema import Draft7Validator

                self._explain = Draft7Validator(self._schema)
            return problems(self._explain, instance) or e.message
        return None


_RANK = {"type": 0, "required": 1, "additionalProperties": 2}


def describe(error: ValidationError) -> str:
    """One problem; a missing property of the frame itself needs no location."""
    if not error.absolute_path and error.validator == "required":
        return _message(error)
    where = "/" + "/".join(str(p) for p in error.absolute_path) if error.absolute_path else "root"
    return f"at {where}: {_message(error)}"


#: A hostile frame can violate a schema thousands of times; the answer stays small.
MAX_PROBLEMS = 10
MAX_PROBLEM_TEXT = 1024


def problems(v: Draft7Validator, instance: Any) -> str | None:
    """The violations, in the order OpenClaw reports them, joined by C{; }."""
    errors = sorted(v.iter_errors(instance), key=lambda e: (len(e.absolute_path), _RANK.get(e.validator, 3)))
    texts = list(dict.fromkeys(describe(e) for e in errors))  # one line per missing-property group
    text = "; ".join(texts[:MAX_PROBLEMS])
    if len(texts) > MAX_PROBLEMS:
        text += f"; … {len(texts) - MAX_PROBLEMS} more"
    if len(text) > MAX_PROBLEM_TEXT:
        text = text[: MAX_PROBLEM_TEXT - 1] + "…"
    return text or None


def _message(error: ValidationError) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "enum":
        return "must be equal to one of the allowed values"
    if kind == "const":
        return "must be equal to constant"
    if kind == "required":
        missing = next(k for k in value if k not in error.instance)
        return f"must have required property '{missing}'"
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unexpected property '{extra[0]}'" if extra else "must NOT have additional properties"
    if kind == "type":
        return f"must be {value}"
    if kind == "minLength":
        return f"must NOT have fewer than {value} characters"
    if kind == "maxLength":
        return f"must NOT have more than {value} characters"
    if kind == "minimum":
        return f"must be >= {value}"
    if kind == "maximum":
        return f"must be <= {value}"
    if kind == "pattern":
        return f'must match pattern "{value}"'
    return error.message


@lru_cache(maxsize=None)
def checker(name: str) -> Checker:
    """The (compiled once) checker of one inbound definition; hold it where it is called per frame."""
    return Checker(_schema(name))


def check(name: str, instance: Any) -> str | None:
    """The violations of C{instance} against one inbound definition, or None."""
    return checker(name)(instance)
