"""/interfaces: one interface and its samples (the traffic graphs' data)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response
from werkzeug.exceptions import NotFound

from inventory import queries
from inventory.models import Interface
from web.api import respond
from web.api.blueprint import bp
from web.api.params import paging, resolution, window
from web.api.serialize import interface_doc, rollup_doc, sample_doc
from web.db import db

# A day of samples at a 10 s poll interval fits one default page, so a graph needs one fetch.
SAMPLES_DEFAULT_LIMIT = 10_000
SAMPLES_MAX_LIMIT = 50_000


def _interface(interface_id: int) -> Interface:
    iface = queries.interface_by_id(db(), interface_id)
    if iface is None:
        raise NotFound(f"No interface with id {interface_id}.")
    return iface


@bp.get("/interfaces/<int:interface_id>")
def get_interface(interface_id: int) -> Response:
    return respond.one(interface_doc(_interface(interface_id)))


@bp.get("/interfaces/<int:interface_id>/samples")
def list_interface_samples(interface_id: int) -> Response:
    """Raw samples for windows of up to a day that raw retention covers; 5-minute (up to 8
    days) or hourly rollups beyond (``resolution`` chooses). ``X-Sample-Period``: the
    seconds per point, 0 for raw samples."""
    since, until = window(datetime.now(UTC))
    offset, limit = paging(SAMPLES_DEFAULT_LIMIT, SAMPLES_MAX_LIMIT)
    wanted = resolution()
    iface = _interface(interface_id)
    session = db()
    period = queries.series_period(session, iface.id, since, until) if wanted is None else wanted
    if period == queries.RAW:
        result = queries.interface_samples(session, iface.id, since, until, offset=offset, limit=limit)
        response = respond.page((sample_doc(s) for s in result.items), result.total)
    else:
        points = queries.interface_rollups(session, iface.id, since, until, period)
        response = respond.page((rollup_doc(p) for p in points[offset : offset + limit]), len(points))
    response.headers["X-Sample-Period"] = str(period)
    return response
