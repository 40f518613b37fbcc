"""/config: a device's configuration versions (backups the agent takes, secrets masked
before storage), one version's text, the unified diff of two, and the devices whose
configuration drifted from what their services own (active config-drift alarms)."""

from __future__ import annotations

from flask import Response, request

from inventory import queries_provisioning as qp
from web.api import respond
from web.api.blueprint import bp
from web.api.params import paging
from web.api.provisioning_docs import diff_doc, drift_doc, version_doc, version_text_doc
from web.config_versions import device_or_404, diff_of, pair, parse_version_id, version_or_404
from web.db import db
from web.provisioning_filters import PAGING
from web.validation import only


@bp.get("/config/<name>/versions")
def list_config_versions(name: str) -> Response:
    only(request.args, PAGING)
    device = device_or_404(db(), name)
    offset, limit = paging()
    page = qp.list_versions(db(), device, offset=offset, limit=limit)
    return respond.page((version_doc(v) for v in page.items), page.total)


@bp.get("/config/<name>/versions/<int:version_id>")
def get_config_version(name: str, version_id: int) -> Response:
    device = device_or_404(db(), name)
    return respond.one(version_text_doc(version_or_404(db(), device, version_id), device.name))


@bp.get("/config/<name>/diff")
def config_diff(name: str) -> Response:
    """?from=<id>&to=<id>; by default the newest version against the one before it."""
    only(request.args, ("from", "to", "fields"))
    device = device_or_404(db(), name)
    from_id = parse_version_id("from", request.args.get("from"))
    to_id = parse_version_id("to", request.args.get("to"))
    old, new = pair(db(), device, from_id, to_id)
    return respond.one(diff_doc(device.name, old, new, diff_of(device.name, old, new)))


@bp.get("/config/drift")
def list_config_drift() -> Response:
    """Active drift alarms, newest first; ?device= narrows to one device."""
    only(request.args, ("device", *PAGING))
    offset, limit = paging()
    page = qp.list_drift(db(), device=request.args.get("device") or None, offset=offset, limit=limit)
    return respond.page((drift_doc(r) for r in page.items), page.total)
