"""TMF620 Product Catalog (the product offerings, with their prices, characteristics and
SLA) and TMF629 Customer Management (customers with their billing accounts and contact
media; the webhook secrets are write-only and never shown)."""

from __future__ import annotations

from flask import Response, current_app, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import NotFound

from bss_bridge.tmf.catalog import customer_to_tmf, offering_to_tmf
from inventory import hub
from inventory import queries_bss as qb
from inventory.choices import Role
from web.api.params import paging
from web.auth import requires
from web.customer_ops import create_customer
from web.db import db
from web.tmf import docs
from web.tmf.bss_blueprints import CATALOG, CUSTOMER, Refused
from web.tmf.query import Param, parse
from web.validation import json_object

OFFERING_FILTERS = {"id": Param("ids"), "name": Param("text"), "lifecycleStatus": Param("text")}
CUSTOMER_FILTERS = {"id": Param("ids"), "name": Param("text"), "status": Param("text")}
bp = CATALOG.bp
customer_bp = CUSTOMER.bp


@bp.get("/productOffering")
def list_offerings() -> Response:
    q = parse(request.args, OFFERING_FILTERS)
    offset, limit = paging()
    f = qb.OfferingFilter(ids=q.values("id"), names=q.values("name"), lifecycle=q.values("lifecycleStatus"))
    page = qb.list_offerings(db(), f, offset=offset, limit=limit)
    return docs.page((offering_to_tmf(o) for o in page.items), page.total)


@bp.get("/productOffering/<offering_id>")
def get_offering(offering_id: str) -> Response:
    off = qb.offering_by_id(db(), offering_id)
    if off is None:
        raise NotFound(f"No product offering {offering_id}.")
    return docs.one(offering_to_tmf(off))


@customer_bp.get("/customer")
def list_customers() -> Response:
    q = parse(request.args, CUSTOMER_FILTERS)
    offset, limit = paging()
    f = qb.CustomerFilter(ids=q.values("id"), names=q.values("name"), statuses=q.values("status"))
    page = qb.list_customers(db(), f, offset=offset, limit=limit)
    return docs.page((customer_to_tmf(c) for c in page.items), page.total)


@customer_bp.get("/customer/<customer_id>")
def get_customer(customer_id: str) -> Response:
    customer = qb.customer_by_id(db(), customer_id)
    if customer is None:
        raise NotFound(f"No customer {customer_id}.")
    return docs.one(customer_to_tmf(customer))


@customer_bp.post("/customer")
@requires(Role.ENGINEER)
def create() -> Response:
    """Body: TMF629 Customer_Create (name; optional id, status, contactMedium, account).
    201 with the customer; 400 naming every field at fault; 409 when the id is taken."""
    body = json_object()
    session = db()
    allow = hub.parse_networks(current_app.config.get("HUB_ALLOW_NETWORKS", ""))
    try:
        customer_id = create_customer(session, body, allow).id
        session.commit()
    except Refused:
        session.rollback()
        raise
    except IntegrityError:  # the same id created concurrently
        session.rollback()
        raise Refused(409, "the customer exists already", {"id": "taken"}) from None
    customer = qb.customer_by_id(session, customer_id)
    assert customer is not None
    response = docs.one(customer_to_tmf(customer), status=201)
    response.headers["Location"] = url_for(".get_customer", customer_id=customer_id)
    return response
