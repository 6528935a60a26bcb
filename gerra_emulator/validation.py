"""Request validation that FastAPI's parameter checks cannot express, with FastAPI-style errors.

IDs are validated by hand so that a malformed ID and a malformed reject body
are reported together, after the API key check, in FastAPI's error format.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ValidationError

from gerra_emulator.catalog import UUID_RE


def _require_text(value: str) -> str:
    if not value.strip():
        raise ValueError("reason must contain a non-whitespace character")
    return value


class RejectBody(BaseModel):
    """The reject request body; members other than `reason` are ignored."""

    reason: Annotated[str, AfterValidator(_require_text)]


def uuid_errors(value: str | None, loc: tuple[str, str]) -> list[dict[str, Any]]:
    """Return FastAPI-style validation errors for a missing or malformed UUID."""
    if value is None:
        return [{"type": "missing", "loc": loc, "msg": "Field required", "input": None}]
    if not UUID_RE.match(value):
        return [
            {
                "type": "uuid_parsing",
                "loc": loc,
                "msg": "Input should be a valid UUID of 8-4-4-4-12 hexadecimal digits",
                "input": value,
            }
        ]
    return []


def reject_body_errors(raw: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """Parse the reject body as JSON whatever its Content-Type; return errors or the reason."""
    if not raw.strip():
        return [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}], None
    try:
        parsed = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else exc.start
        return [
            {
                "type": "json_invalid",
                "loc": ("body", position),
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": getattr(exc, "msg", str(exc))},
            }
        ], None
    try:
        return [], RejectBody.model_validate(parsed).reason
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])}
            for error in exc.errors(include_url=False, include_context=True)
        ]
        return errors, None
