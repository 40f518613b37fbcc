"""Order pages: product orders (filter by state) and one order with its items' states,
each item's provisioning transaction (its diffs and log are on the transaction's page) and
the order's timeline."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import NotFound

from inventory import queries_bss as qb
from inventory.choices import OrderState
from web.bss_timeline import order_timeline
from web.dashboard.blueprint import bp
from web.db import db

LIST_LIMIT = 300


@bp.get("/orders")
def orders() -> ResponseReturnValue:
    states = frozenset(s for s in OrderState if s.value in request.args.getlist("state"))
    customer = request.args.get("customer", "").strip()[:64]
    f = qb.OrderFilter(states=states, customers=frozenset({customer}) if customer else frozenset())
    page = qb.list_orders(db(), f, limit=LIST_LIMIT)
    return render_template(
        "orders.html",
        rows=page.items,
        total=page.total,
        states=list(OrderState),
        chosen={s.value for s in states},
        customer=customer,
    )


@bp.get("/orders/<order_id>")
def order(order_id: str) -> ResponseReturnValue:
    session = db()
    o = qb.order_by_id(session, order_id)
    if o is None:
        raise NotFound(f"No order {order_id}.")
    txs = qb.transactions_of(session, [i.transaction_id or "" for i in o.items])
    subs = qb.subscriptions_of_order(session, o.id)
    name = qb.customer_names(session, [o.customer_id]).get(o.customer_id, "")
    return render_template(
        "order.html", o=o, txs=txs, timeline=order_timeline(o, txs, subs), customer_name=name
    )
