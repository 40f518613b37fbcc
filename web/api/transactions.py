"""/transactions: provisioning transactions (a service change across devices, journaled
before any device is touched), one with its devices' diffs and its log; submitting a service
request plans a new one, and a done one can be rolled back by another. The agent executes
planned transactions; the web process only writes them."""

from __future__ import annotations

from flask import Response, request, url_for
from werkzeug.exceptions import NotFound

from inventory import queries_provisioning as qp
from inventory.choices import Role
from inventory.provisioning_models import Transaction
from web.api import respond
from web.api.blueprint import bp
from web.api.params import paging
from web.api.provisioning_docs import tx_detail_doc, tx_doc
from web.auth import current_user, requires
from web.db import db
from web.provisioning_filters import tx_filter
from web.provisioning_ops import rollback, submit_input, submit_request
from web.validation import json_object, optional_json_object

ORIGIN = "api"


def _user() -> str:
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    return user.name


def created(tx: Transaction, status: int = 201) -> Response:
    """The transaction just written, committed, as the client reads it back."""
    tx_id = tx.id
    db().commit()
    detail = qp.transaction_detail(db(), tx_id)
    assert detail is not None
    response = respond.one(tx_detail_doc(detail), status=status)
    response.headers["Location"] = url_for("api.get_transaction", tx_id=tx_id)
    return response


@bp.get("/transactions")
def list_transactions() -> Response:
    f = tx_filter(request.args)
    offset, limit = paging()
    page = qp.list_transactions(db(), f, offset=offset, limit=limit)
    return respond.page((tx_doc(r) for r in page.items), page.total)


@bp.get("/transactions/<tx_id>")
def get_transaction(tx_id: str) -> Response:
    detail = qp.transaction_detail(db(), tx_id)
    if detail is None:
        raise NotFound(f"No transaction {tx_id}.")
    return respond.one(tx_detail_doc(detail))


@bp.post("/transactions")
@requires(Role.ENGINEER)
def create_transaction() -> Response:
    """Body: a service request ({service, action, params} or, to delete, {action, service_id})
    with optional dry_run and force flags. 201 with the planned transaction."""
    given = submit_input(json_object())
    return created(submit_request(db(), given, user=_user(), origin=ORIGIN))


@bp.post("/transactions/<tx_id>/rollback")
@requires(Role.ENGINEER)
def rollback_transaction(tx_id: str) -> Response:
    """Body (optional): {"dry_run": true}. 201 with the transaction that undoes ``tx_id``."""
    dry_run = submit_input(optional_json_object(), allowed=("dry_run",)).dry_run
    return created(rollback(db(), tx_id, user=_user(), dry_run=dry_run))
