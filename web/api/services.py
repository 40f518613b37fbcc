"""/services and /service-models: services with their parameters, the configuration they own
on each device and their transactions; creating, modifying (JSON Merge Patch over the current
parameters) and deleting a service each plan a transaction for the agent to execute."""

from __future__ import annotations

from flask import Response, request
from werkzeug.exceptions import NotFound

from inventory import queries_provisioning as qp
from inventory.choices import Role
from provisioners.services.catalog import load_models
from web.api import respond
from web.api.blueprint import bp
from web.api.params import paging
from web.api.provisioning_docs import model_doc, service_detail_doc, service_doc
from web.api.transactions import ORIGIN, created
from web.auth import current_user, requires
from web.db import db
from web.provisioning_filters import service_filter
from web.provisioning_ops import create_input, delete_input, modify_input, submit_request
from web.validation import MERGE_PATCH_TYPES, json_object, optional_json_object


def _user() -> str:
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    return user.name


@bp.get("/services")
def list_services() -> Response:
    f = service_filter(request.args)
    offset, limit = paging()
    page = qp.list_services(db(), f, offset=offset, limit=limit)
    return respond.page((service_doc(r) for r in page.items), page.total)


@bp.get("/services/<external_id>")
def get_service(external_id: str) -> Response:
    detail = qp.service_detail(db(), external_id)
    if detail is None:
        raise NotFound(f"No service {external_id}.")
    return respond.one(service_detail_doc(detail))


@bp.post("/services")
@requires(Role.ENGINEER)
def create_service() -> Response:
    """Body: {"service": model, "params": {...}}, optional dry_run, force. 201 with the
    planned transaction that creates it."""
    given = create_input(json_object())
    return created(submit_request(db(), given, user=_user(), origin=ORIGIN))


@bp.patch("/services/<external_id>")
@requires(Role.ENGINEER)
def modify_service(external_id: str) -> Response:
    """Body: {"params": {...}} merged over the current parameters (null removes one).
    202 with the planned transaction."""
    given = modify_input(db(), external_id, json_object(MERGE_PATCH_TYPES))
    return created(submit_request(db(), given, user=_user(), origin=ORIGIN), status=202)


@bp.delete("/services/<external_id>")
@requires(Role.ENGINEER)
def delete_service(external_id: str) -> Response:
    """Body (optional): {"dry_run": ..., "force": ...}. 202 with the delete transaction."""
    given = delete_input(db(), external_id, optional_json_object())
    return created(submit_request(db(), given, user=_user(), origin=ORIGIN), status=202)


@bp.get("/service-models")
def list_service_models() -> Response:
    models = list(load_models().values())
    offset, limit = paging()
    return respond.page((model_doc(m) for m in models[offset : offset + limit]), len(models))
