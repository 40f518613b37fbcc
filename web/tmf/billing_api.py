"""TMF678 Customer Bill Management: the SLA credits ossagent computes, as read-only
AppliedCustomerBillingRate resources of type appliedBillingCredit (as the specification has
them: a billing system publishes rates, nobody POSTs them). Listeners registered at /hub
hear of each credit and each recomputation."""

from __future__ import annotations

import re

from flask import Response, request
from werkzeug.exceptions import NotFound

from bss_bridge.tmf.billing import CREDIT_TYPE, credit_doc
from inventory import queries_bss as qb
from web.api.params import paging
from web.db import db
from web.tmf import docs
from web.tmf.bss_blueprints import BILL
from web.tmf.query import Param, parse
from web.validation import FieldError

MONTH_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
CREDIT_FILTERS = {
    "id": Param("ids"),
    "billingAccount.id": Param("ids"),
    "type": Param("ids"),
    "appliedBillingRateType": Param("ids"),  # the v5 spelling of type
    "date": Param("time"),
    "month": Param("ids"),  # extension: the month (YYYY-MM) the credit is for
    "x_customer": Param("ids"),
    "x_serviceProblem.id": Param("ids"),
}
bp = BILL.bp


def months(values: frozenset[str], name: str = "month") -> frozenset[str]:
    for v in values:
        if not MONTH_RE.fullmatch(v):
            raise FieldError(name, f"{v!r} is not a month such as 2026-03")
    return values


@bp.get("/appliedCustomerBillingRate")
def list_credits() -> Response:
    q = parse(request.args, CREDIT_FILTERS)
    offset, limit = paging()
    types = q.values("type") | q.values("appliedBillingRateType")
    f = qb.CreditFilter(
        ids=q.values("id"),
        accounts=q.values("billingAccount.id"),
        customers=q.values("x_customer"),
        months=months(q.values("month")),
        problems=q.values("x_serviceProblem.id"),
        date=q.time("date"),
        impossible=bool(types) and CREDIT_TYPE not in types,
    )
    session = db()
    page = qb.list_credits(session, f, offset=offset, limit=limit)
    refs = qb.service_refs(session, [c.service_id for c in page.items])
    return docs.page((credit_doc(c, refs.get(c.service_id)) for c in page.items), page.total)


@bp.get("/appliedCustomerBillingRate/<credit_id>")
def get_credit(credit_id: str) -> Response:
    session = db()
    credit = qb.credit_by_id(session, credit_id)
    if credit is None:
        raise NotFound(f"No applied customer billing rate {credit_id}.")
    return docs.one(credit_doc(credit, qb.service_refs(session, [credit.service_id]).get(credit.service_id)))
