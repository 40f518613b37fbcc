"""The timelines the BSS pages show, built from the rows (pure functions, oldest first).

An outage: its alarm(s) raised -> the problem opened -> notices sent (state, tries,
channel) -> alarm(s) cleared -> the problem resolved -> the credit, with its numbers.
An order: received -> each item's transaction planned, started, finished -> the
subscription started -> the order completed, failed or cancelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from inventory.bss_models import CreditRecord, CustomerMessage, ProductOrder, ServiceProblem, Subscription
from inventory.fault_models import Alarm
from inventory.queries_bss import TxSummary


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # names the entry's CSS class (tl-<kind>) and what the tests look for
    title: str
    text: str = ""
    link: str | None = None  # an endpoint-free reference the template turns into a link
    ref: str = ""


def _sorted(entries: Iterable[tuple[int, Entry]]) -> list[Entry]:
    # Same-instant entries keep the story's order (raised before opened, and so on).
    return [e for _, e in sorted(entries, key=lambda x: (x[1].at, x[0]))]


def outage_timeline(
    problem: ServiceProblem,
    alarms: Sequence[Alarm],
    messages: Sequence[CustomerMessage],
    credits: Sequence[CreditRecord],
) -> list[Entry]:
    out: list[tuple[int, Entry]] = []
    for a in alarms:
        out.append((0, Entry(a.raised_at, "alarm-raised", f"Alarm #{a.id} raised",
                             f"{a.alarmed_object}: {a.specific_problem or a.probable_cause}", "alarm", str(a.id))))  # fmt: skip
    kind = "planned work" if problem.planned else "outage"
    out.append((1, Entry(problem.opened_at, "problem-opened", f"Service problem {problem.id} opened ({kind})",
                         problem.reason)))  # fmt: skip
    for m in messages:
        out.append((2, Entry(m.created_at, "notice-queued", f"Notice queued: {m.kind} by {m.channel}",
                             f"to {m.recipient}: {m.subject}", None, m.id)))  # fmt: skip
        if m.sent_at is not None or m.try_times:
            tries = f"{m.try_times} tr{'y' if m.try_times == 1 else 'ies'}"
            detail = f"{m.state.value} after {tries}" + (f": {m.last_error}" if m.last_error else "")
            out.append((3, Entry(m.sent_at or m.created_at, f"notice-{m.state.value}",
                                 f"Notice {m.state.value}: {m.kind} by {m.channel}", detail, None, m.id)))  # fmt: skip
    for a in alarms:
        if a.cleared_at is not None:
            out.append((4, Entry(a.cleared_at, "alarm-cleared", f"Alarm #{a.id} cleared", a.alarmed_object,
                                 "alarm", str(a.id))))  # fmt: skip
    if problem.resolved_at is not None:
        minutes = (problem.resolved_at - problem.opened_at).total_seconds() / 60
        out.append((5, Entry(problem.resolved_at, "problem-resolved", f"Service problem {problem.id} resolved",
                             f"after {minutes:.0f} minutes")))  # fmt: skip
    for c in credits:
        text = (
            f"{c.amount} {c.currency}: {c.unavailable_minutes:.2f} unavailable minutes in {c.month}, "
            f"availability {c.availability_pct:.4f} %, credit {c.credit_pct:.2f} % of the monthly fee"
            + (f" (revision {c.revision})" if c.revision > 1 else "")
        )
        out.append((6, Entry(c.updated_at, "credit", f"SLA credit {c.id}", text, None, c.id)))
    return _sorted(out)


def order_timeline(
    order: ProductOrder, txs: Mapping[str, TxSummary], subscriptions: Sequence[Subscription]
) -> list[Entry]:
    out: list[tuple[int, Entry]] = []
    out.append((0, Entry(order.order_date, "order-received", f"Order {order.id} received",
                         f"from {order.created_by or 'unknown'}; {len(order.items)} item(s)")))  # fmt: skip
    for item in order.items:
        tx = txs.get(item.transaction_id or "")
        if tx is None:
            continue
        where = f"item {item.item_id} ({item.action} {item.product_id})"
        devices = ", ".join(tx.devices) or "no device"
        out.append((1, Entry(tx.created_at, "tx-planned", f"Transaction planned for {where}",
                             f"on {devices}", "transaction", tx.id)))  # fmt: skip
        if tx.started_at is not None:
            out.append((2, Entry(tx.started_at, "tx-started", f"Transaction started for {where}", "",
                                 "transaction", tx.id)))  # fmt: skip
        if tx.finished_at is not None:
            out.append((3, Entry(tx.finished_at, f"tx-{tx.state}", f"Transaction {tx.state} for {where}",
                                 tx.error, "transaction", tx.id)))  # fmt: skip
    for sub in subscriptions:
        if sub.started_at is not None:
            ref = sub.service.external_id or f"SVC-{sub.service_id}"
            out.append((4, Entry(sub.started_at, "subscribed", f"Subscription started for {ref}",
                                 f"{sub.monthly_price} {sub.currency} a month", "service", ref)))  # fmt: skip
    if order.cancellation_date is not None:
        out.append((5, Entry(order.cancellation_date, "order-cancelled", f"Order {order.id} cancelled",
                             order.cancellation_reason)))  # fmt: skip
    elif order.completion_date is not None:
        failed = [f"item {i.item_id}: {i.error}" for i in order.items if i.error]
        out.append((5, Entry(order.completion_date, f"order-{order.state.value}",
                             f"Order {order.id} {order.state.value}", "; ".join(failed))))  # fmt: skip
    return _sorted(out)
