"""TMF622 Product Ordering: place an order (validated, qualified against the live inventory
and decomposed into planned provisioning transactions in one database transaction), list and
retrieve orders, cancel one that has not started; and the TMF641 Service Ordering view of
the same orders.

Placing is idempotent: a replay (the same Idempotency-Key, or the same externalId for the
customer, with the same body) answers 200 with the order it created; the same key with
another body is a 422. Concurrent duplicates create one order: the loser of the race hits
the unique constraints, rolls back and answers with the winner's order.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request, url_for
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import NotFound, RequestEntityTooLarge, ServiceUnavailable

from bss_bridge.orders import OrderError, cancel_order, place_order, replay
from bss_bridge.tmf.billing import cancel_id, cancel_to_tmf
from bss_bridge.tmf.common import event_envelope
from bss_bridge.tmf.order import CREATE_EVENT, order_to_tmf, service_order_to_tmf
from inventory import queries_bss as qb
from inventory.bss_models import ProductOrder
from inventory.choices import OrderState, Role
from inventory.hub import enqueue_event, new_event_id
from inventory.types import utcnow
from web.api.params import paging
from web.auth import current_user, requires
from web.db import db
from web.tmf import docs
from web.tmf.alarm_input import TYPE_KEYS
from web.tmf.bss_blueprints import ORDERING, SERVICE_ORDERING
from web.tmf.query import Param, enum_param, parse
from web.tmf.retry import ATTEMPTS, lost_race
from web.validation import FieldError, json_object, only, string

MAX_ORDER_BYTES = 1 * 2**20  # a product order body; a bigger one is refused unread (413)
ORDER_FILTERS = {
    "id": Param("ids"),
    "state": enum_param(OrderState),
    "externalId": Param("text"),
    "relatedParty.id": Param("ids"),
    "orderDate": Param("time"),
}
SERVICE_ORDER_FILTERS = {
    "id": Param("ids"),
    "state": enum_param(OrderState),
    "externalId": Param("ids"),
    "orderDate": Param("time"),
}
CANCEL_KEYS = frozenset({"productOrder", "cancellationReason", "requestedCancellationDate", *TYPE_KEYS})
bp = ORDERING.bp
so_bp = SERVICE_ORDERING.bp


def _user() -> str:
    user = current_user()
    assert user is not None  # the gate let only a logged-in user this far
    return user.name


def _order(order_id: str) -> ProductOrder:
    order = qb.order_by_id(db(), order_id)
    if order is None:
        raise NotFound(f"No product order {order_id}.")
    return order


@bp.get("/productOrder")
def list_orders() -> Response:
    q = parse(request.args, ORDER_FILTERS)
    offset, limit = paging()
    f = qb.OrderFilter(
        ids=q.values("id"),
        states=q.enum("state", OrderState),
        external_ids=q.values("externalId"),
        customers=q.values("relatedParty.id"),
        order_date=q.time("orderDate"),
    )
    page = qb.list_orders(db(), f, offset=offset, limit=limit)
    return docs.page((order_to_tmf(o) for o in page.items), page.total)


@bp.get("/productOrder/<order_id>")
def get_order(order_id: str) -> Response:
    return docs.one(order_to_tmf(_order(order_id)))


def _normalised(body: dict[str, Any]) -> dict[str, Any]:
    """Accept v5 spellings (INTERFACES.md §7.1): externalId as [{id, ...}] becomes its id."""
    ext = body.get("externalId")
    if isinstance(ext, list):
        if not ext:
            return {k: v for k, v in body.items() if k != "externalId"}
        first = ext[0]
        if not isinstance(first, dict) or not isinstance(first.get("id"), str):
            raise FieldError("externalId[0].id", "required: a string")
        body = {**body, "externalId": first["id"]}
    party = body.get("relatedParty")
    if party is not None and not isinstance(party, list):
        raise FieldError("relatedParty", "must be a list of parties")
    return body


def _limit_body() -> None:
    request.max_content_length = MAX_ORDER_BYTES
    if request.content_length is not None and request.content_length > MAX_ORDER_BYTES:
        raise RequestEntityTooLarge(f"A product order is at most {MAX_ORDER_BYTES} bytes.")


def _answer(order: ProductOrder, status: int) -> Response:
    response = docs.one(order_to_tmf(order), status=status)
    response.headers["Location"] = url_for(".get_order", order_id=order.id)
    return response


@bp.post("/productOrder")
@requires(Role.ENGINEER)
def create_order() -> Response:
    """201 with the acknowledged order, or 200 with the order a replay created before."""
    _limit_body()
    body = _normalised(json_object())
    key = request.headers.get("Idempotency-Key")
    user = _user()
    session = db()
    for _ in range(ATTEMPTS):
        try:
            existing = replay(session, body, key)
            if existing is not None:
                return _answer(existing, 200)
            now = utcnow()
            order = place_order(session, body, idempotency_key=key, user=user, now=now)
            if order.order_date is not now:
                # place_order found the order a concurrent request committed in between.
                return _answer(order, 200)
            event_id = new_event_id()
            doc = order_to_tmf(order)
            envelope = event_envelope(CREATE_EVENT, "productOrder", doc, event_id, now)
            enqueue_event(session, ORDERING.api, CREATE_EVENT, envelope, event_id, now=now)
            session.commit()
            return _answer(order, 201)
        except OrderError:
            session.rollback()  # place_order flushed rows before refusing: none may stay
            raise
        except IntegrityError:
            session.rollback()  # a concurrent duplicate won: the next pass replays it
        except OperationalError as exc:
            session.rollback()
            if not lost_race(exc):
                raise
    raise ServiceUnavailable("The order could not be placed because of concurrent changes; retry.")


@bp.post("/cancelProductOrder")
@requires(Role.ENGINEER)
def cancel() -> Response:
    """Cancel an order none of whose items has started: 201 with the task, state done.
    409 once provisioning has started or the order is finished."""
    body = json_object()
    only(body, CANCEL_KEYS)
    ref = body.get("productOrder")
    if not isinstance(ref, dict) or not isinstance(ref.get("id"), str) or not ref["id"]:
        raise FieldError("productOrder", 'required: a reference such as {"id": "PO-1001"}')
    reason = string(body, "cancellationReason", max_len=1000)
    session = db()
    for _ in range(ATTEMPTS):
        try:
            order = qb.order_for_update(session, ref["id"])
            if order is None:
                raise FieldError("productOrder.id", f"no product order {ref['id']!r}")
            qb.lock_transactions(session, [i.transaction_id for i in order.items if i.transaction_id])
            cancel_order(session, order, reason, utcnow())
            session.commit()
        except OrderError:
            session.rollback()
            raise
        except OperationalError as exc:
            session.rollback()
            if not lost_race(exc):
                raise
            continue
        response = docs.one(cancel_to_tmf(order), status=201)
        response.headers["Location"] = url_for(".get_cancel", cancel_id=cancel_id(order))
        return response
    raise ServiceUnavailable("The order is changing right now; retry.")


@bp.get("/cancelProductOrder/<cancel_id>")
def get_cancel(cancel_id: str) -> Response:
    order_id = cancel_id.removesuffix("-cancel")
    order = qb.order_by_id(db(), order_id) if cancel_id.endswith("-cancel") else None
    if order is None or order.state is not OrderState.CANCELLED or order.cancellation_date is None:
        raise NotFound(f"No cancellation {cancel_id}.")
    return docs.one(cancel_to_tmf(order))


# -- TMF641: the same orders as service orders ---------------------------------------------------


def _service_order_filter(args: Any) -> qb.OrderFilter:
    """A service order's id is ``SO-<product order id>``, its externalId the product order's."""
    q = parse(args, SERVICE_ORDER_FILTERS)
    ids = frozenset(i.removeprefix("SO-") for i in q.values("id") if i.startswith("SO-"))
    if q.values("id") and not ids:
        ids = frozenset({""})  # only ids that cannot be ours: match nothing
    external = q.values("externalId")
    if external:
        ids = (ids & external or frozenset({""})) if ids else external
    return qb.OrderFilter(ids=ids, states=q.enum("state", OrderState), order_date=q.time("orderDate"))


@so_bp.get("/serviceOrder")
def list_service_orders() -> Response:
    f = _service_order_filter(request.args)
    offset, limit = paging()
    page = qb.list_orders(db(), f, offset=offset, limit=limit)
    return docs.page((service_order_to_tmf(o) for o in page.items), page.total)


@so_bp.get("/serviceOrder/<service_order_id>")
def get_service_order(service_order_id: str) -> Response:
    order = qb.order_by_id(db(), service_order_id.removeprefix("SO-"))
    if order is None or not service_order_id.startswith("SO-"):
        raise NotFound(f"No service order {service_order_id}.")
    return docs.one(service_order_to_tmf(order))
