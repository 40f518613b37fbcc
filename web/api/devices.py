"""/devices: the inventory's devices, and requests to discover or poll one now."""

from __future__ import annotations

from flask import Response
from werkzeug.exceptions import NotFound

from inventory import queries
from inventory.choices import Role
from inventory.models import Device
from web.api import respond
from web.api.blueprint import bp
from web.api.params import paging
from web.api.serialize import device_detail_doc, device_doc, interface_doc, job_doc
from web.auth import current_user, requires
from web.db import db
from web.job_requests import JobKind, request_job


def _device(name: str) -> Device:
    device = queries.device_by_name(db(), name)
    if device is None:
        raise NotFound(f"No device named {name!r}.")
    return device


@bp.get("/devices")
def list_devices() -> Response:
    offset, limit = paging()
    result = queries.list_devices(db(), offset=offset, limit=limit)
    return respond.page((device_doc(s) for s in result.items), result.total)


@bp.get("/devices/<name>")
def get_device(name: str) -> Response:
    summary = queries.device_summary(db(), name)
    if summary is None:
        raise NotFound(f"No device named {name!r}.")
    return respond.one(device_detail_doc(summary))


@bp.get("/devices/<name>/interfaces")
def list_device_interfaces(name: str) -> Response:
    offset, limit = paging()
    result = queries.list_interfaces(db(), _device(name), offset=offset, limit=limit)
    return respond.page((interface_doc(i) for i in result.items), result.total)


def _request(name: str, kind: JobKind) -> Response:
    session = db()
    device = _device(name)
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    row = request_job(session, device, kind, user)
    session.commit()
    return respond.one(job_doc(row, device), status=202)


@bp.post("/devices/<name>/discover")
@requires(Role.ENGINEER)
def discover_device(name: str) -> Response:
    return _request(name, JobKind.DISCOVER)


@bp.post("/devices/<name>/poll")
@requires(Role.ENGINEER)
def poll_device(name: str) -> Response:
    return _request(name, JobKind.POLL)
