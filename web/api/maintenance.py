"""/maintenance-windows: list, create, read and delete maintenance windows. Alarms raised on
a window's devices (or the devices of its sites) while it is open are planned."""

from __future__ import annotations

from flask import Response, url_for
from werkzeug.exceptions import NotFound

from inventory.choices import Role
from inventory.queries_maintenance import WindowView, list_windows, window_view
from inventory.types import utcnow
from web.api import respond
from web.api.blueprint import bp
from web.api.fault_docs import window_doc
from web.auth import current_user, requires
from web.db import db
from web.maintenance_ops import create_window, delete_window, window_input
from web.validation import json_object


def _window(window_id: int) -> WindowView:
    view = window_view(db(), window_id, utcnow())
    if view is None:
        raise NotFound(f"No maintenance window with id {window_id}.")
    return view


@bp.get("/maintenance-windows")
def list_maintenance_windows() -> Response:
    views = list_windows(db(), utcnow())
    return respond.page((window_doc(v) for v in views), len(views))


@bp.post("/maintenance-windows")
@requires(Role.ENGINEER)
def create_maintenance_window() -> Response:
    given = window_input(json_object())
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    session = db()
    window_id = create_window(session, given, user.name).id
    session.commit()
    response = respond.one(window_doc(_window(window_id)), status=201)
    response.headers["Location"] = url_for("api.get_maintenance_window", window_id=window_id)
    return response


@bp.get("/maintenance-windows/<int:window_id>")
def get_maintenance_window(window_id: int) -> Response:
    return respond.one(window_doc(_window(window_id)))


@bp.delete("/maintenance-windows/<int:window_id>")
@requires(Role.ENGINEER)
def delete_maintenance_window(window_id: int) -> Response:
    session = db()
    delete_window(session, _window(window_id).window)
    session.commit()
    return Response(status=204)
