"""/customers (with their accounts and contacts, never a webhook's secret), a customer's
monthly statement (JSON, or CSV to download) and /orders: the BSS side as engineers read it.
The TM Forum APIs under /tmf-api/ are what BSS systems use."""

from __future__ import annotations

import re
from typing import Any, cast

from flask import Response, request, url_for
from werkzeug.exceptions import NotFound

from bss_bridge.credits import statement
from bss_bridge.tmf.billing import statement_csv, statement_doc
from bss_bridge.tmf.catalog import CUSTOMER_BASE
from bss_bridge.tmf.common import href
from bss_bridge.tmf.order import BASE as ORDER_BASE
from inventory import queries_bss as qb
from inventory.bss_models import Customer, ProductOrder
from inventory.choices import OrderState
from web.api import respond
from web.api.blueprint import bp
from web.api.params import paging
from web.bss_params import choice, month
from web.db import db
from web.formatting import iso_utc
from web.tmf.query import Param, enum_param, parse

STATEMENT_FORMATS = ("json", "csv")
ORDER_FILTERS = {"state": enum_param(OrderState), "customer": Param("ids")}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def customer_doc(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "tmf_href": href(CUSTOMER_BASE, "customer", c.id),
        "name": c.name,
        "status": c.status,
        "created_at": iso_utc(c.created_at),
        "accounts": [{"id": a.id, "name": a.name, "currency": a.currency} for a in c.accounts],
        "contacts": [{"kind": x.kind, "name": x.name, "address": x.address} for x in c.contacts],
        "statement_href": url_for("api.customer_statement", customer_id=c.id),
    }


def order_doc(o: ProductOrder) -> dict[str, Any]:
    return {
        "id": o.id,
        "tmf_href": href(ORDER_BASE, "productOrder", o.id),
        "state": o.state.value,
        "customer": o.customer_id,
        "external_id": o.external_id,
        "order_date": iso_utc(o.order_date),
        "completion_date": iso_utc(o.completion_date),
        "created_by": o.created_by,
        "items": [
            {
                "id": i.item_id,
                "action": i.action,
                "state": i.state.value,
                "product": i.product_id,
                "offering": i.offering_id,
                "transaction": i.transaction_id,
                "transaction_href": url_for("api.get_transaction", tx_id=i.transaction_id)
                if i.transaction_id
                else None,
                "error": i.error,
            }
            for i in o.items
        ],
    }


@bp.get("/customers")
def list_customers() -> Response:
    offset, limit = paging()
    page = qb.list_customers(db(), offset=offset, limit=limit)
    return respond.page((customer_doc(c) for c in page.items), page.total)


@bp.get("/customers/<customer_id>/statement")
def customer_statement(customer_id: str) -> Response:
    """?month=YYYY-MM (this month by default) &format=json|csv."""
    wanted = month()
    fmt = choice("format", STATEMENT_FORMATS)
    session = db()
    customer = qb.customer_by_id(session, customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id}.")
    stmt = statement(session, customer_id, wanted)
    credits = cast(list[dict[str, Any]], stmt["credits"])
    refs = qb.service_refs(session, [int(c["product"]) for c in credits])
    doc = statement_doc(stmt, refs, customer.name)
    if fmt == "json":
        return respond.one(doc)
    name = f"statement-{_UNSAFE.sub('_', customer_id)[:64]}-{wanted}.csv"
    return Response(
        statement_csv(doc),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/orders")
def list_orders() -> Response:
    q = parse(request.args, ORDER_FILTERS)
    offset, limit = paging()
    f = qb.OrderFilter(states=q.enum("state", OrderState), customers=q.values("customer"))
    page = qb.list_orders(db(), f, offset=offset, limit=limit)
    return respond.page((order_doc(o) for o in page.items), page.total)
