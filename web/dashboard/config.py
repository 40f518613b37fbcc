"""Configuration pages: devices with configuration access (their backups and drift), one
device's version history with the diff of any two versions and the text of one, and the
drift list. Versions are stored with their secrets masked; nothing here unmasks."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from inventory import queries_provisioning as qp
from web.config_versions import device_or_404, diff_of, pair, parse_version_id, version_or_404
from web.dashboard.blueprint import bp
from web.db import db
from web.validation import only

VERSION_LIMIT = 200  # versions listed on a device's page, newest first
DRIFT_LIMIT = 500


@bp.get("/config")
def config() -> ResponseReturnValue:
    rows = qp.config_devices(db())
    return render_template("config.html", rows=rows)


@bp.get("/config/<name>")
def config_device(name: str) -> ResponseReturnValue:
    """?from=&to= compares two versions (default: the newest two); ?show= one version's text."""
    only(request.args, ("from", "to", "show"))
    session = db()
    device = device_or_404(session, name)
    from_id = parse_version_id("from", request.args.get("from"))
    to_id = parse_version_id("to", request.args.get("to"))
    show_id = parse_version_id("show", request.args.get("show"))
    versions = qp.list_versions(session, device, limit=VERSION_LIMIT)
    old = new = None
    if from_id is not None or to_id is not None or versions.total >= 2:
        old, new = pair(session, device, from_id, to_id)
    access = qp.config_devices(session, device.name)
    return render_template(
        "config_device.html",
        device=device,
        access=access[0] if access else None,
        versions=versions.items,
        versions_total=versions.total,
        old=old,
        new=new,
        diff=diff_of(device.name, old, new) if old and new else None,
        shown=version_or_404(session, device, show_id) if show_id is not None else None,
        drift=qp.list_drift(session, device=device.name).items,
    )


@bp.get("/drift")
def drift() -> ResponseReturnValue:
    page = qp.list_drift(db(), limit=DRIFT_LIMIT)
    return render_template("drift.html", rows=page.items, total=page.total)
