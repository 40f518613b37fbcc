"""The maintenance page: windows (open now or not, next occurrence), a form to create one
and buttons to delete (engineer role). Times in the form are UTC."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from inventory import queries
from inventory.choices import Role
from inventory.maintenance import PERIODS
from inventory.queries_maintenance import list_windows, window_view
from inventory.types import utcnow
from web.auth import current_user, requires
from web.dashboard.blueprint import bp
from web.db import db
from web.maintenance_ops import create_window, delete_window, window_input
from web.validation import FieldError


def _render(form: dict[str, Any], status: int = 200) -> ResponseReturnValue:
    session = db()
    devices = [s.device for s in queries.list_devices(session).items]
    sites = sorted({d.site.name for d in devices if d.site is not None})
    return (
        render_template(
            "maintenance.html",
            windows=list_windows(session, utcnow()),
            form=form,
            device_names=[d.name for d in devices],
            site_names=sites,
            recurrences=list(PERIODS),
        ),
        status,
    )


@bp.get("/maintenance")
def maintenance() -> ResponseReturnValue:
    return _render({})


def _form_data() -> dict[str, Any]:
    """The form as the API's JSON would carry it, so both share one validation."""
    form = request.form
    return {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "starts_at": form.get("starts_at", ""),
        "ends_at": form.get("ends_at", ""),
        "recurrence": form.get("recurrence", "none"),
        "until": form.get("until") or None,
        "targets": {"devices": form.getlist("devices"), "sites": form.getlist("sites")},
    }


@bp.post("/maintenance")
@requires(Role.ENGINEER)
def maintenance_create() -> ResponseReturnValue:
    data = _form_data()
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    session = db()
    try:
        window = create_window(session, window_input(data), user.name)
    except FieldError as exc:
        session.rollback()
        flash(f"Not created: {exc}", "error")
        return _render(data, status=400)
    name = window.name
    session.commit()
    flash(f"Maintenance window {name!r} created.", "info")
    return redirect(url_for("dashboard.maintenance"))


@bp.post("/maintenance/<int:window_id>/delete")
@requires(Role.ENGINEER)
def maintenance_delete(window_id: int) -> ResponseReturnValue:
    session = db()
    view = window_view(session, window_id, utcnow())
    if view is None:
        raise NotFound(f"No maintenance window with id {window_id}.")
    name = view.window.name
    delete_window(session, view.window)
    session.commit()
    flash(f"Maintenance window {name!r} deleted.", "info")
    return redirect(url_for("dashboard.maintenance"))
