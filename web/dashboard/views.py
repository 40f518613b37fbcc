"""Dashboard pages. Each view parses, calls one query, and renders one template."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from inventory import queries, queries_alarms
from inventory.choices import Role
from web.auth import current_user, requires
from web.dashboard.blueprint import bp
from web.db import db
from web.job_requests import JobKind, request_job
from web.paging import requested_page


@bp.get("/")
def index() -> ResponseReturnValue:
    return redirect(url_for("dashboard.devices"))


DEVICES_PER_PAGE = 100


@bp.get("/devices")
def devices() -> ResponseReturnValue:
    """One page of the devices by name (``?page=N``), the status counts of all of them."""
    session = db()
    pager = requested_page(DEVICES_PER_PAGE)
    page = queries.list_devices(session, offset=pager.offset, limit=pager.size)
    pager = pager.clamp(page.total)
    if not page.items and page.total:  # past the end: the last page
        page = queries.list_devices(session, offset=pager.offset, limit=pager.size)
    badges = queries_alarms.device_alarm_badges(session, [s.device.id for s in page.items])
    return render_template(
        "devices.html",
        summaries=page.items,
        alarm_badges=badges,
        pager=pager,
        status_counts=queries.device_status_counts(session),
    )


@bp.get("/devices/<name>")
def device(name: str) -> ResponseReturnValue:
    summary = queries.device_summary(db(), name)
    if summary is None:
        raise NotFound(f"No device named {name!r}.")
    badges = queries_alarms.object_alarm_badges(db(), summary.device.id)
    return render_template("device.html", summary=summary, device=summary.device, alarm_badges=badges)


def _request(name: str, kind: JobKind, done: str) -> ResponseReturnValue:
    session = db()
    found = queries.device_by_name(session, name)
    if found is None:
        raise NotFound(f"No device named {name!r}.")
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    request_job(session, found, kind, user)
    session.commit()
    flash(f"{done} of {found.name} requested; the agent starts it within a few seconds.", "info")
    return redirect(url_for("dashboard.device", name=found.name))


@bp.post("/devices/<name>/discover")
@requires(Role.ENGINEER)
def discover(name: str) -> ResponseReturnValue:
    return _request(name, JobKind.DISCOVER, "Discovery")


@bp.post("/devices/<name>/poll")
@requires(Role.ENGINEER)
def poll(name: str) -> ResponseReturnValue:
    return _request(name, JobKind.POLL, "A poll")


@bp.get("/links")
def links() -> ResponseReturnValue:
    page = queries.list_links(db())
    return render_template("links.html", links=page.items)
