"""TMF630 patterns: timestamps, references, field selection, the event envelope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def href(base: str, resource: str, ident: str) -> str:
    return f"{base}/{resource}/{quote(str(ident), safe='')}"


def select_fields(doc: Mapping[str, Any], fields: Iterable[str] | None) -> dict[str, Any]:
    """TMF630 ``fields=a,b``: keep those top-level attributes (id, href and @type always)."""
    if not fields:
        return dict(doc)
    keep = {f.strip() for f in fields if f.strip()} | {"id", "href", "@type"}
    return {k: v for k, v in doc.items() if k in keep}


def event_envelope(
    event_type: str,
    resource_name: str,
    resource: Mapping[str, Any],
    event_id: str,
    at: datetime,
    **extra: Any,
) -> dict[str, Any]:
    """The v4 event notification: eventId, eventTime, eventType, event: {<resource>: ...}."""
    return {
        "eventId": event_id,
        "eventTime": iso(at),
        "eventType": event_type,
        "timeOcurred": iso(at),  # sic: the v4 spelling
        "event": {resource_name: dict(resource)},
        **extra,
    }
