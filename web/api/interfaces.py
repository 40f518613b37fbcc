"""/interfaces: one interface and its samples (the traffic graphs' data)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response
from werkzeug.exceptions import NotFound

from inventory import queries
from inventory.models import Interface
from web.api import respond
from web.api.blueprint import bp
from web.api.params import paging, window
from web.api.serialize import interface_doc, sample_doc
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
    since, until = window(datetime.now(UTC))
    offset, limit = paging(SAMPLES_DEFAULT_LIMIT, SAMPLES_MAX_LIMIT)
    iface = _interface(interface_id)
    result = queries.interface_samples(db(), iface.id, since, until, offset=offset, limit=limit)
    return respond.page((sample_doc(s) for s in result.items), result.total)
