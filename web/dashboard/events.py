"""The events page: recent traps and poll events, including those from unknown sources."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from inventory import queries_alarms
from inventory.queries_alarms import EventFilter
from web.dashboard.blueprint import bp
from web.db import db

LIST_LIMIT = 500


@bp.get("/events")
def events() -> ResponseReturnValue:
    f = EventFilter(device=request.args.get("device") or None, name=request.args.get("name") or None)
    page = queries_alarms.list_events(db(), f, limit=LIST_LIMIT)
    return render_template(
        "events.html", events=page.items, total=page.total, device=f.device or "", name=f.name or ""
    )
