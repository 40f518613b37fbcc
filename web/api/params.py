"""Query parameters the API shares: TMF630 paging (offset, limit), field selection, and
the time window of sample queries. Bad values are a 400, never silently replaced."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import request
from werkzeug.exceptions import BadRequest

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
RANGES = {
    "1h": timedelta(hours=1),
    "6h": timedelta(hours=6),
    "1d": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# A sample list's points: raw samples or rollups of 5 minutes or an hour (seconds per point).
RESOLUTIONS = {"raw": 0, "5m": 300, "1h": 3600}
DEFAULT_RANGE = "1h"
MAX_WINDOW = timedelta(days=31)
# Always returned, whatever ``fields`` asks for, so that a client can follow up on a row.
ALWAYS_FIELDS = frozenset({"id", "href"})


def _int(name: str, default: int, low: int, high: int | None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,9}", raw.strip()):
        raise BadRequest(f"{name} must be a non-negative integer")
    value = int(raw)
    if value < low or (high is not None and value > high):
        upper = f" and {high}" if high is not None else ""
        raise BadRequest(f"{name} must be between {low}{upper}")
    return value


def paging(default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> tuple[int, int]:
    """(offset, limit) from the query string."""
    return _int("offset", 0, 0, None), _int("limit", default_limit, 1, max_limit)


def fields() -> frozenset[str] | None:
    """The names in ``fields=a,b``, or None when every field is wanted."""
    raw = request.args.get("fields")
    if raw is None or not raw.strip():
        return None
    return frozenset(f.strip() for f in raw.split(",") if f.strip())


def parse_time(name: str, raw: str) -> datetime:
    # A "+" in an unencoded query string arrives as a space: "…T10:00:00 02:00".
    text = raw.strip().replace(" ", "+")
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name} must be an ISO 8601 date-time, e.g. 2024-05-01T12:00:00Z") from None
    # A time without an offset is read as UTC, the API's only zone.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def resolution() -> int | None:
    """Seconds per point from ``resolution`` (raw, 5m, 1h), or None (``auto``, the default:
    raw samples for short windows, rollups for long ones)."""
    raw = request.args.get("resolution", "auto")
    if raw == "auto":
        return None
    if raw not in RESOLUTIONS:
        raise BadRequest(f"resolution must be one of auto, {', '.join(RESOLUTIONS)}")
    return RESOLUTIONS[raw]


def window(now: datetime) -> tuple[datetime, datetime]:
    """(since, until) from ``since``/``until`` or ``range`` (1h, 6h, 1d, 7d, 30d); the last hour by default."""
    raw_range = request.args.get("range")
    if raw_range is not None and raw_range not in RANGES:
        raise BadRequest(f"range must be one of {', '.join(RANGES)}")
    raw_until = request.args.get("until")
    until = parse_time("until", raw_until) if raw_until else now
    raw_since = request.args.get("since")
    since = parse_time("since", raw_since) if raw_since else until - RANGES[raw_range or DEFAULT_RANGE]
    if since > until:
        raise BadRequest("since must not be after until")
    if until - since > MAX_WINDOW:
        raise BadRequest(f"the window may span at most {MAX_WINDOW.days} days")
    return since, until
