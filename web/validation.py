"""Reading client input: JSON bodies and their fields, with errors that name the field.

Every check raises ``FieldError``; web.errors turns it into a 400 whose message starts with the
field at fault (``"comment[0].comment: must be a non-empty string"``), the same for the
TMF642 API, /api/v1 and the dashboard's forms.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

JSON_TYPES = frozenset({"application/json"})
MERGE_PATCH_TYPES = frozenset({"application/json", "application/merge-patch+json"})


class FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def json_object(accepted: Collection[str] = JSON_TYPES) -> dict[str, Any]:
    """The request body as a JSON object: 415 for another media type, 400 for bad JSON."""
    if request.mimetype not in accepted:
        raise UnsupportedMediaType(f"Send the body as {' or '.join(sorted(accepted))}.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("body: must be a JSON object")
    return body


def optional_json_object() -> dict[str, Any]:
    """Like ``json_object`` for bodies that may be left out (an empty POST)."""
    if not request.get_data(cache=True):
        return {}
    return json_object()


def only(body: Mapping[str, Any], allowed: Collection[str], where: str = "") -> None:
    """Refuse attributes we do not take, naming the first (in the client's order)."""
    for key in body:
        if key not in allowed:
            raise FieldError(f"{where}{key}", "not accepted here")


def string(
    body: Mapping[str, Any], key: str, *, where: str = "", max_len: int = 255, required: bool = False
) -> str:
    value = body.get(key)
    if value is None:
        if required:
            raise FieldError(f"{where}{key}", "required")
        return ""
    if not isinstance(value, str):
        raise FieldError(f"{where}{key}", "must be a string")
    value = value.strip()
    if required and not value:
        raise FieldError(f"{where}{key}", "must not be empty")
    if len(value) > max_len:
        raise FieldError(f"{where}{key}", f"at most {max_len} characters")
    return value


def parse_datetime(field: str, raw: object) -> datetime:
    """ISO 8601; a time without an offset is UTC (as from a ``datetime-local`` input)."""
    if not isinstance(raw, str) or not raw.strip():
        raise FieldError(field, "must be an ISO 8601 date-time, e.g. 2024-05-01T12:00:00Z")
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise FieldError(field, "must be an ISO 8601 date-time, e.g. 2024-05-01T12:00:00Z") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
