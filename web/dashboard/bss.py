"""BSS pages: customers (each with its services, open outages and this month's credits),
one customer (subscriptions, orders, outages, notices, credits, statement downloads) and
the credits of a month with their total."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from inventory import queries_bss as qb
from web.bss_params import month, this_month
from web.dashboard.blueprint import bp
from web.db import db

CREDIT_ROWS = 500  # credits on the page; the month's total counts them all
CUSTOMER_ROWS = 500


@bp.get("/customers")
def customers() -> ResponseReturnValue:
    wanted = month()
    page = qb.customer_overview(db(), wanted, limit=CUSTOMER_ROWS)
    return render_template("customers.html", rows=page.items, total=page.total, month=wanted)


@bp.get("/customers/<customer_id>")
def customer(customer_id: str) -> ResponseReturnValue:
    detail = qb.customer_detail(db(), customer_id)
    if detail is None:
        raise NotFound(f"No customer {customer_id}.")
    return render_template("customer.html", d=detail, c=detail.customer, month=month())


@bp.get("/credits")
def credits() -> ResponseReturnValue:
    wanted = month()
    customer_id = request.args.get("customer", "").strip()[:64]
    customers = frozenset({customer_id}) if customer_id else frozenset()
    f = qb.CreditFilter(months=frozenset({wanted}), customers=customers)
    session = db()
    page = qb.list_credits(session, f, limit=CREDIT_ROWS)
    refs = qb.service_refs(session, [c.service_id for c in page.items])
    names = qb.customer_names(session, [c.customer_id for c in page.items])
    return render_template(
        "credits.html",
        rows=page.items,
        total=page.total,
        totals=qb.credit_totals(session, f),
        refs=refs,
        names=names,
        month=wanted,
        this_month=this_month(),
        customer=customer_id,
    )
