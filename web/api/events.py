"""/events: what devices told us (traps) and what polls saw, newest first, including traps
from addresses that are no known device (``device`` null, ``source_address`` set)."""

from __future__ import annotations

from flask import Response, request

from inventory import queries_alarms
from inventory.queries_alarms import EventFilter
from web.api import respond
from web.api.blueprint import bp
from web.api.fault_docs import event_doc
from web.api.params import paging, parse_time
from web.db import db
from web.validation import only


def event_filter() -> EventFilter:
    args = request.args
    only(args, ("device", "name", "since", "offset", "limit", "fields"))
    since = args.get("since")
    return EventFilter(
        device=args.get("device") or None,
        name=args.get("name") or None,
        since=parse_time("since", since) if since else None,
    )


@bp.get("/events")
def list_events() -> Response:
    f = event_filter()
    offset, limit = paging()
    result = queries_alarms.list_events(db(), f, offset=offset, limit=limit)
    return respond.page((event_doc(e) for e in result.items), result.total)
