"""TMF678 AppliedCustomerBillingRate as the API serves it, a customer's monthly statement as
JSON and CSV, and the TMF622 cancelProductOrder task resource."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from bss_bridge.tmf.common import href, iso
from bss_bridge.tmf.order import BASE as ORDER_BASE
from bss_bridge.tmf.problem import PROBLEM_BASE, SERVICE_BASE, credit_to_tmf
from inventory.bss_models import CreditRecord, ProductOrder

CENT = Decimal("0.01")
CREDIT_TYPE = "appliedBillingCredit"
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
STATEMENT_COLUMNS = (
    "kind",
    "reference",
    "product",
    "description",
    "outage_minutes",
    "availability_pct",
    "credit_pct",
    "amount",
    "currency",
)


def money(value: Decimal | int | float | str) -> str:
    """An amount as a string with two decimals ("12.50")."""
    return str(Decimal(str(value)).quantize(CENT))


def _pct(value: Decimal | int | float | str) -> str:
    """A percentage without trailing zeros or an exponent ("10", "99.8611")."""
    text = format(Decimal(str(value)).quantize(Decimal("0.0001")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def credit_doc(c: CreditRecord, product_ref: str | None) -> dict[str, Any]:
    """``credit_to_tmf`` with the product named by its TMF id (the service's external id)
    and links to the outage it pays for."""
    doc = credit_to_tmf(c)
    if product_ref is not None:
        doc["product"] = {
            "id": product_ref,
            "href": href(SERVICE_BASE, "service", product_ref),
            "@referredType": "Product",
        }
    if c.problem_id:
        doc["x_serviceProblem"] = {
            "id": c.problem_id,
            "href": href(PROBLEM_BASE, "serviceProblem", c.problem_id),
            "@referredType": "ServiceProblem",
        }
    doc["x_revision"] = c.revision
    doc["x_customer"] = c.customer_id
    return doc


def cancel_id(order: ProductOrder) -> str:
    """An order is cancelled at most once, so its cancellation task is named after it."""
    return f"{order.id}-cancel"


def cancel_to_tmf(order: ProductOrder) -> dict[str, Any]:
    ident = cancel_id(order)
    return {
        "id": ident,
        "href": href(ORDER_BASE, "cancelProductOrder", ident),
        "state": "done",
        "cancellationReason": order.cancellation_reason or None,
        "effectiveCancellationDate": iso(order.cancellation_date),
        "productOrder": {
            "id": order.id,
            "href": href(ORDER_BASE, "productOrder", order.id),
            "@referredType": "ProductOrder",
        },
        "@type": "CancelProductOrder",
    }


# -- statements ---------------------------------------------------------------------------------


def statement_doc(
    stmt: Mapping[str, Any], refs: Mapping[int, str], customer_name: str = ""
) -> dict[str, Any]:
    """``bss_bridge.credits.statement`` with amounts as strings of two decimals and products
    named by their TMF id. ``refs``: service pk -> TMF id."""
    fees = [
        {
            "product": f["product"],
            "offering": f["offering"],
            "amount": money(f["amount"]),
            "currency": f["currency"],
        }
        for f in stmt["fees"]
    ]
    credits = [
        {
            "id": c["id"],
            "kind": c["kind"],
            "product": refs.get(c["product"], str(c["product"])),
            "problem": c["problem"],
            "outage_minutes": str(Decimal(str(c["minutes"])).quantize(CENT)),
            "availability_pct": _pct(c["availability_pct"]),
            "credit_pct": _pct(c["credit_pct"]),
            "amount": money(c["amount"]),
            "currency": c["currency"],
        }
        for c in stmt["credits"]
    ]
    currencies = sorted({x["currency"] for x in (*fees, *credits)})
    return {
        "customer": stmt["customer"],
        "name": customer_name,
        "month": stmt["month"],
        "currency": currencies[0] if len(currencies) == 1 else None,
        "fees": fees,
        "credits": credits,
        "total_fees": money(stmt["total_fees"]),
        "total_credits": money(stmt["total_credits"]),
        "net": money(stmt["net"]),
    }


def _text_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows(rows)
    return buf.getvalue()


def statement_csv(doc: Mapping[str, Any]) -> str:
    """The statement as CSV: a header row, one row per fee and credit, then the totals."""
    cur = doc["currency"] or ""
    rows: list[list[object]] = [list(STATEMENT_COLUMNS)]
    for f in doc["fees"]:
        rows.append(["fee", "", _text_cell(f["product"]), _text_cell(f["offering"]), "", "", "",
                     f["amount"], f["currency"]])  # fmt: skip
    for c in doc["credits"]:
        what = f"SLA credit ({c['kind']})" + (f" for outage {c['problem']}" if c["problem"] else "")
        rows.append(["credit", _text_cell(c["id"]), _text_cell(c["product"]), _text_cell(what),
                     c["outage_minutes"], c["availability_pct"], c["credit_pct"], c["amount"], c["currency"]])  # fmt: skip
    rows.append(["total_fees", "", "", "", "", "", "", doc["total_fees"], cur])
    rows.append(["total_credits", "", "", "", "", "", "", doc["total_credits"], cur])
    rows.append(["net", "", "", "", "", "", "", doc["net"], cur])
    return _csv(rows)


CREDIT_COLUMNS = (
    "id",
    "customer",
    "billing_account",
    "product",
    "problem",
    "kind",
    "month",
    "period_start",
    "period_end",
    "outage_minutes",
    "availability_pct",
    "credit_pct",
    "amount",
    "currency",
    "revision",
)


def credit_row(c: CreditRecord, product_ref: str | None) -> dict[str, Any]:
    """One credit as a flat row (CLI tables and CSV)."""
    return {
        "id": c.id,
        "customer": c.customer_id,
        "billing_account": c.billing_account_id,
        "product": product_ref,
        "problem": c.problem_id,
        "kind": c.kind,
        "month": c.month,
        "period_start": iso(c.period_start),
        "period_end": iso(c.period_end),
        "outage_minutes": str(Decimal(str(c.unavailable_minutes)).quantize(CENT)),
        "availability_pct": _pct(c.availability_pct),
        "credit_pct": _pct(c.credit_pct),
        "amount": money(c.amount),
        "currency": c.currency,
        "revision": c.revision,
    }


def credits_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    text_columns = {"id", "customer", "billing_account", "product", "problem", "kind"}
    out: list[list[object]] = [list(CREDIT_COLUMNS)]
    for r in rows:
        out.append([_text_cell(r[k]) if k in text_columns else r[k] for k in CREDIT_COLUMNS])
    return _csv(out)
