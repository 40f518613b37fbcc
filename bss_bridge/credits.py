"""SLA credits: computed from the SLA at outage close and at month end, recorded once.

A month's credit for a service follows from that month's availability (all its outages,
planned windows excluded when the SLA says so). When an outage closes, its record holds what
the month's credit grew by because of it (the month's credit now, minus the records of the
service's other outages that month); so the outage records of a month add up to the month's
credit. At month end one adjustment record makes the month's total exact (for an outage still
open across the boundary, say). Records are keyed (outage or month end, service, month) and
recomputed in place: reclassifying an outage as planned updates its record, never adds one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bss_bridge import sla as slam
from inventory.bss_models import CreditRecord, ServiceProblem, Sla, Subscription


def sla_from_row(row: Sla) -> slam.Sla:
    bh = None
    if row.business_hours:
        b = row.business_hours
        bh = slam.BusinessHours(
            frozenset(int(d) for d in b.get("days", [1, 2, 3, 4, 5])),
            time.fromisoformat(str(b.get("start", "08:00"))),
            time.fromisoformat(str(b.get("end", "18:00"))),
            str(b.get("tz", "UTC")),
        )
    bands = tuple(slam.Band(Decimal(str(x["below_pct"])), Decimal(str(x["credit_pct"]))) for x in row.bands)
    return slam.Sla(Decimal(row.target_pct), bands, Decimal(row.cap_pct), bh, row.exclude_planned)


def _outages(s: Session, service_id: int, month: str) -> list[tuple[ServiceProblem, slam.Outage]]:
    m0, m1 = slam.month_bounds(month)
    rows = s.scalars(
        select(ServiceProblem).where(
            ServiceProblem.service_id == service_id,
            ServiceProblem.opened_at < m1,
            (ServiceProblem.resolved_at.is_(None)) | (ServiceProblem.resolved_at > m0),
        )
    )
    return [(p, slam.Outage(p.opened_at, p.resolved_at, p.planned)) for p in rows]


@dataclass(frozen=True)
class CreditChange:
    record: CreditRecord
    created: bool
    changed: bool


def _upsert(
    s: Session, key: str, kind: str, sub: Subscription, problem_id: str | None, month: str,
    result: slam.CreditResult, amount: Decimal, period: tuple[datetime, datetime], now: datetime,
) -> CreditChange | None:  # fmt: skip
    row = s.scalar(select(CreditRecord).where(CreditRecord.dedup_key == key))
    if row is None:
        if amount <= 0:
            return None  # nothing owed and nothing recorded before: no record at all
        row = CreditRecord(
            id=f"ACBR-{secrets.token_hex(6)}", dedup_key=key, kind=kind, customer_id=sub.customer_id,
            billing_account_id=sub.billing_account_id, service_id=sub.service_id, problem_id=problem_id, month=month,
            period_start=period[0], period_end=period[1], unavailable_minutes=Decimal(str(result.unavailable_minutes)),
            availability_pct=result.availability_pct, credit_pct=result.credit_pct, amount=amount, currency=sub.currency,
            created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(row)
        s.flush()
        return CreditChange(row, True, True)
    changed = (row.amount, row.credit_pct, row.availability_pct) != (
        amount,
        result.credit_pct,
        result.availability_pct,
    )
    if changed:
        row.amount = amount
        row.credit_pct = result.credit_pct
        row.availability_pct = result.availability_pct
        row.unavailable_minutes = Decimal(str(result.unavailable_minutes))
        row.period_start, row.period_end = period
        row.updated_at = now
        row.revision += 1
    return CreditChange(row, False, changed)


def _others(s: Session, service_id: int, month: str, exclude_key: str) -> Decimal:
    total = s.scalar(
        select(func.coalesce(func.sum(CreditRecord.amount), 0)).where(
            CreditRecord.service_id == service_id,
            CreditRecord.month == month,
            CreditRecord.kind == "outage",
            CreditRecord.dedup_key != exclude_key,
        )
    )
    return Decimal(str(total or 0))


def credit_for_problem(s: Session, problem: ServiceProblem, now: datetime) -> list[CreditChange]:
    """Record (or recompute) the credit an outage earned, month by month."""
    sub = s.get(Subscription, problem.service_id)
    if sub is None or sub.offering.sla is None:
        return []
    sla = sla_from_row(sub.offering.sla)
    end = problem.resolved_at or now
    out = []
    for month in slam.months_between(problem.opened_at, end):
        result = slam.credit(
            sla, [o for _, o in _outages(s, problem.service_id, month)], month, sub.monthly_price, now
        )
        key = f"outage:{problem.id}:{month}"
        amount = max(Decimal(0), result.amount - _others(s, problem.service_id, month, key))
        m0, m1 = slam.month_bounds(month)
        change = _upsert(s, key, "outage", sub, problem.id, month, result, amount,
                         (max(problem.opened_at, m0), min(end, m1)), now)  # fmt: skip
        if change is not None:
            out.append(change)
    return out


def month_end(s: Session, month: str, now: datetime) -> list[CreditChange]:
    """Make every service's credit for ``month`` exact with one adjustment record each."""
    m0, m1 = slam.month_bounds(month)
    out = []
    for sub in s.scalars(select(Subscription)):
        if sub.offering.sla is None:
            continue
        outages = _outages(s, sub.service_id, month)
        if not outages:
            continue
        result = slam.credit(
            sla_from_row(sub.offering.sla), [o for _, o in outages], month, sub.monthly_price, min(now, m1)
        )
        key = f"month:{sub.service_id}:{month}"
        adjustment = result.amount - _others(s, sub.service_id, month, key)
        change = _upsert(
            s, key, "month-end", sub, None, month, result, max(Decimal(0), adjustment), (m0, m1), now
        )
        if change is not None:
            out.append(change)
    return out


def statement(s: Session, customer_id: str, month: str) -> dict[str, object]:
    """A customer's month: recurring fees of the subscriptions active in it, and credits."""
    m0, m1 = slam.month_bounds(month)
    fees: list[dict[str, object]] = []
    total_fees = Decimal(0)
    for sub in s.scalars(select(Subscription).where(Subscription.customer_id == customer_id)):
        if (
            sub.started_at is None
            or sub.started_at >= m1
            or (sub.ended_at is not None and sub.ended_at <= m0)
        ):
            continue
        total_fees += sub.monthly_price
        fees.append(
            {"product": sub.service.external_id, "offering": sub.offering.name, "amount": sub.monthly_price,
             "currency": sub.currency}
        )  # fmt: skip
    credits: list[dict[str, object]] = []
    total_credits = Decimal(0)
    rows = s.scalars(
        select(CreditRecord)
        .where(CreditRecord.customer_id == customer_id, CreditRecord.month == month)
        .order_by(CreditRecord.created_at)
    )
    for c in rows:
        total_credits += c.amount
        credits.append(
            {"id": c.id, "kind": c.kind, "product": c.service_id, "problem": c.problem_id,
             "minutes": c.unavailable_minutes, "availability_pct": c.availability_pct, "credit_pct": c.credit_pct,
             "amount": c.amount, "currency": c.currency}
        )  # fmt: skip
    return {"customer": customer_id, "month": month, "fees": fees, "credits": credits, "total_fees": total_fees,
            "total_credits": total_credits, "net": total_fees - total_credits}  # fmt: skip
