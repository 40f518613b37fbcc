"""Provisioning pages: transactions (list, one with each device's diff and the log, a
rollback button) and services (list with a form to request a new one, one service with its
parameters, configuration and transactions). Forms plan transactions through
``web.provisioning_ops``, the same path as the API; the agent executes them."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from inventory import queries_provisioning as qp
from inventory.choices import Role, ServiceState, TxState
from provisioners.services.catalog import load_models
from web.auth import current_user, requires
from web.dashboard.blueprint import bp
from web.db import db
from web.provisioning_filters import service_filter, tx_filter
from web.provisioning_ops import (
    RequestConflict,
    RequestRefused,
    SubmitInput,
    delete_input,
    rollback,
    submit_request,
)
from web.service_forms import form_fields, form_values, parse_form

ORIGIN = "web"
LIST_LIMIT = 300  # rows on a list page; the filters narrow a bigger list


def _user() -> str:
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    return user.name


def _checked(name: str) -> bool:
    return request.form.get(name, "") in ("1", "on", "true", "yes")


# -- transactions -------------------------------------------------------------------------------


@bp.get("/transactions")
def transactions() -> ResponseReturnValue:
    f = tx_filter(request.args, extra=())
    page = qp.list_transactions(db(), f, limit=LIST_LIMIT)
    form = {
        "states": {s.value for s in f.states},
        "service": f.service or "",
        "origin": f.origin or "",
        "device": f.device or "",
    }
    return render_template(
        "transactions.html", rows=page.items, total=page.total, form=form, states=list(TxState)
    )


@bp.get("/transactions/<tx_id>")
def transaction(tx_id: str) -> ResponseReturnValue:
    detail = qp.transaction_detail(db(), tx_id)
    if detail is None:
        raise NotFound(f"No transaction {tx_id}.")
    return render_template("transaction.html", d=detail, tx=detail.tx, DONE=TxState.DONE)


@bp.post("/transactions/<tx_id>/rollback")
@requires(Role.ENGINEER)
def transaction_rollback(tx_id: str) -> ResponseReturnValue:
    session = db()
    try:
        new_id = rollback(session, tx_id, user=_user(), dry_run=_checked("dry_run")).id
    except RequestConflict as exc:
        session.rollback()
        flash(f"Not rolled back: {exc.description}", "error")
        return redirect(url_for("dashboard.transaction", tx_id=tx_id))
    session.commit()
    flash(f"Rollback of {tx_id} planned as {new_id}; the agent executes it within a few seconds.", "info")
    return redirect(url_for("dashboard.transaction", tx_id=new_id))


# -- services -----------------------------------------------------------------------------------


def _render_services(
    model_name: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    f = service_filter(request.args, extra=("model",))
    page = qp.list_services(db(), f, limit=LIST_LIMIT)
    models = load_models()
    model = models.get(model_name) or next(iter(models.values()))
    filters = {
        "states": {s.value for s in f.states},
        "types": set(f.types),
        "customer": f.customer or "",
    }
    return (
        render_template(
            "services.html",
            rows=page.items,
            total=page.total,
            filters=filters,
            states=list(ServiceState),
            models=list(models.values()),
            model=model,
            fields=form_fields(model),
            values=values or {},
            errors=errors or {},
        ),
        status,
    )


@bp.get("/services")
def services() -> ResponseReturnValue:
    return _render_services(request.args.get("model", ""))


def _form_errors(errors: dict[str, str]) -> dict[str, str]:
    """Error paths as the form names its inputs (params.vlan -> vlan)."""
    return {k.removeprefix("params."): v for k, v in errors.items()}


@bp.post("/services")
@requires(Role.ENGINEER)
def service_create() -> ResponseReturnValue:
    name = request.form.get("model", "")
    model = load_models().get(name)
    if model is None:
        flash(f"Not submitted: no service model {name!r}.", "error")
        return _render_services("", status=400)
    params = parse_form(model, request.form)
    given = SubmitInput(
        {"service": model.name, "action": "create", "params": params}, dry_run=_checked("dry_run")
    )
    session = db()
    try:
        tx_id = submit_request(session, given, user=_user(), origin=ORIGIN).id
    except (RequestRefused, RequestConflict) as exc:
        session.rollback()
        flash(f"Not submitted: {exc.description}", "error")
        values = {**form_values(params), "dry_run": "1" if given.dry_run else ""}
        return _render_services(model.name, values, _form_errors(exc.errors), status=exc.code or 400)
    session.commit()
    what = "A dry run" if given.dry_run else "The change"
    flash(f"{what} is planned as {tx_id}; the agent executes it within a few seconds.", "info")
    return redirect(url_for("dashboard.transaction", tx_id=tx_id))


@bp.get("/services/<external_id>")
def service(external_id: str) -> ResponseReturnValue:
    detail = qp.service_detail(db(), external_id)
    if detail is None:
        raise NotFound(f"No service {external_id}.")
    return render_template("service.html", d=detail, s=detail.service, TERMINATED=ServiceState.TERMINATED)


@bp.post("/services/<external_id>/delete")
@requires(Role.ENGINEER)
def service_delete(external_id: str) -> ResponseReturnValue:
    session = db()
    body: dict[str, Any] = {"dry_run": _checked("dry_run")}
    try:
        tx_id = submit_request(
            session, delete_input(session, external_id, body), user=_user(), origin=ORIGIN
        ).id
    except (RequestRefused, RequestConflict) as exc:
        session.rollback()
        flash(f"Not deleted: {exc.description}", "error")
        return redirect(url_for("dashboard.service", external_id=external_id))
    session.commit()
    flash(f"Deletion of {external_id} is planned as {tx_id}.", "info")
    return redirect(url_for("dashboard.transaction", tx_id=tx_id))
