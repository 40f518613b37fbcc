"""Read-only queries of the BSS tables: product orders and their items, the catalog,
customers, service problems (outages), customer messages and SLA credits.

Like ``inventory.queries``: functions take a session and never write; each answers one view
in a bounded number of statements whatever the page size. Nothing here loads a secret: a
customer contact's webhook ``secret`` is deferred with raiseload, so touching it on an
object loaded here raises instead of decrypting it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, defer, joinedload, selectinload

from inventory.bss_models import (
    CreditRecord,
    Customer,
    CustomerContact,
    CustomerMessage,
    ProductOffering,
    ProductOrder,
    ProductOrderItem,
    ServiceProblem,
    Subscription,
)
from inventory.choices import MessageState, OrderState, ProblemState
from inventory.fault_models import Alarm, Service
from inventory.models import Device
from inventory.provisioning_models import Transaction, TransactionDevice
from inventory.queries import Page

OPEN_PROBLEM_STATES = (ProblemState.ACKNOWLEDGED, ProblemState.IN_PROGRESS)
DETAIL_ROWS = 50  # rows of each kind shown with one customer, newest first

# Contacts without their webhook secret: the web process never needs it.
_CONTACTS = selectinload(Customer.contacts).options(defer(CustomerContact.secret, raiseload=True))
_ITEMS = selectinload(ProductOrder.items).options(joinedload(ProductOrderItem.offering))


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def _page(session: Session, stmt: Select[Any], offset: int, limit: int | None) -> list[Any]:
    stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt).unique())


def _in(column: InstrumentedAttribute[Any], values: frozenset[Any]) -> ColumnElement[bool]:
    return column.in_(sorted(values))


@dataclass(frozen=True)
class TimeRange:
    """TMF630's ``attr.gt``, ``.gte``, ``.lt``, ``.lte``: all given bounds hold."""

    gt: datetime | None = None
    gte: datetime | None = None
    lt: datetime | None = None
    lte: datetime | None = None

    def conditions(self, column: InstrumentedAttribute[datetime]) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.gt is not None:
            out.append(column > self.gt)
        if self.gte is not None:
            out.append(column >= self.gte)
        if self.lt is not None:
            out.append(column < self.lt)
        if self.lte is not None:
            out.append(column <= self.lte)
        return out


# -- product orders -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilter:
    """The fields AND together; each set is an OR over its values."""

    ids: frozenset[str] = frozenset()
    states: frozenset[OrderState] = frozenset()
    external_ids: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()
    order_date: TimeRange = TimeRange()


def _order_conditions(f: OrderFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.ids:
        out.append(_in(ProductOrder.id, f.ids))
    if f.states:
        out.append(_in(ProductOrder.state, f.states))
    if f.external_ids:
        out.append(_in(ProductOrder.external_id, f.external_ids))
    if f.customers:
        out.append(_in(ProductOrder.customer_id, f.customers))
    out.extend(f.order_date.conditions(ProductOrder.order_date))
    return out


def list_orders(
    session: Session, f: OrderFilter = OrderFilter(), *, offset: int = 0, limit: int | None = None
) -> Page[ProductOrder]:
    """Newest first, with their items and the items' offerings."""
    stmt = (
        select(ProductOrder)
        .where(*_order_conditions(f))
        .order_by(ProductOrder.order_date.desc(), ProductOrder.id.desc())
    )
    total = _count(session, stmt)
    return Page(_page(session, stmt.options(_ITEMS), offset, limit), total)


def order_by_id(session: Session, order_id: str) -> ProductOrder | None:
    return session.scalar(select(ProductOrder).where(ProductOrder.id == order_id).options(_ITEMS))


def order_for_update(session: Session, order_id: str) -> ProductOrder | None:
    """The order, locked against concurrent changes (PostgreSQL; SQLite serialises writers)."""
    return session.scalar(
        select(ProductOrder)
        .where(ProductOrder.id == order_id)
        .options(_ITEMS)
        .with_for_update(of=ProductOrder)
    )


def lock_transactions(session: Session, tx_ids: Sequence[str]) -> list[str]:
    """Lock an order's transactions before cancelling them, so that the agent's claim (a
    conditional UPDATE on the planned state) waits and then finds them cancelled. SQLite has
    no row locks; it refuses the later of two conflicting writers instead."""
    if not tx_ids:
        return []
    return list(
        session.scalars(select(Transaction.id).where(Transaction.id.in_(sorted(tx_ids))).with_for_update())
    )


@dataclass(frozen=True)
class TxSummary:
    """What an order page shows of an item's provisioning transaction (no journal, no
    configurations: those are on the transaction's own page)."""

    id: str
    state: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    devices: list[str]


def transactions_of(session: Session, tx_ids: Sequence[str]) -> dict[str, TxSummary]:
    ids = sorted({t for t in tx_ids if t})
    if not ids:
        return {}
    rows = session.execute(
        select(
            Transaction.id,
            Transaction.state,
            Transaction.created_at,
            Transaction.started_at,
            Transaction.finished_at,
            Transaction.error,
        ).where(Transaction.id.in_(ids))
    )
    out = {r[0]: TxSummary(r[0], r[1].value, r[2], r[3], r[4], r[5], []) for r in rows}
    names = session.execute(
        select(TransactionDevice.transaction_id, Device.name)
        .join(Device, Device.id == TransactionDevice.device_id)
        .where(TransactionDevice.transaction_id.in_(ids))
        .order_by(TransactionDevice.transaction_id, TransactionDevice.position)
    )
    for tx_id, name in names:
        out[tx_id].devices.append(name)
    return out


def subscriptions_of_order(session: Session, order_id: str) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.order_id == order_id)
            .options(joinedload(Subscription.service))
        )
    )


# -- catalog ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferingFilter:
    ids: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    lifecycle: frozenset[str] = frozenset()


def list_offerings(
    session: Session, f: OfferingFilter = OfferingFilter(), *, offset: int = 0, limit: int | None = None
) -> Page[ProductOffering]:
    conditions: list[ColumnElement[bool]] = []
    if f.ids:
        conditions.append(_in(ProductOffering.id, f.ids))
    if f.names:
        conditions.append(_in(ProductOffering.name, f.names))
    if f.lifecycle:
        conditions.append(_in(ProductOffering.lifecycle_status, f.lifecycle))
    stmt = select(ProductOffering).where(*conditions).order_by(ProductOffering.id)
    total = _count(session, stmt)
    return Page(_page(session, stmt.options(joinedload(ProductOffering.sla)), offset, limit), total)


def offering_by_id(session: Session, offering_id: str) -> ProductOffering | None:
    return session.scalar(
        select(ProductOffering)
        .where(ProductOffering.id == offering_id)
        .options(joinedload(ProductOffering.sla))
    )


# -- customers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFilter:
    ids: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()


def list_customers(
    session: Session, f: CustomerFilter = CustomerFilter(), *, offset: int = 0, limit: int | None = None
) -> Page[Customer]:
    """By id, with billing accounts and contacts (never the contacts' secrets)."""
    conditions: list[ColumnElement[bool]] = []
    if f.ids:
        conditions.append(_in(Customer.id, f.ids))
    if f.names:
        conditions.append(_in(Customer.name, f.names))
    if f.statuses:
        conditions.append(_in(Customer.status, f.statuses))
    stmt = select(Customer).where(*conditions).order_by(Customer.id)
    total = _count(session, stmt)
    options = (selectinload(Customer.accounts), _CONTACTS)
    return Page(_page(session, stmt.options(*options), offset, limit), total)


def customer_by_id(session: Session, customer_id: str) -> Customer | None:
    return session.scalar(
        select(Customer).where(Customer.id == customer_id).options(selectinload(Customer.accounts), _CONTACTS)
    )


def customer_exists(session: Session, customer_id: str) -> bool:
    return session.scalar(select(Customer.id).where(Customer.id == customer_id)) is not None


@dataclass(frozen=True)
class CustomerOverview:
    """One row of the customers page."""

    customer: Customer
    services: list[Subscription]  # with their service
    open_problems: int
    credits: Decimal  # the month's credits
    currency: str


def customer_overview(session: Session, month: str, *, limit: int | None = None) -> Page[CustomerOverview]:
    """Customers (by id) with their subscriptions, open outages and the month's credits;
    five statements whatever the number of customers."""
    stmt = select(Customer).order_by(Customer.id)
    total = _count(session, stmt)
    customers = _page(session, stmt.options(selectinload(Customer.accounts)), 0, limit)
    ids = [c.id for c in customers]
    subs: dict[str, list[Subscription]] = defaultdict(list)
    for sub in session.scalars(
        select(Subscription)
        .where(Subscription.customer_id.in_(ids))
        .options(joinedload(Subscription.service), joinedload(Subscription.offering))
        .order_by(Subscription.service_id)
    ):
        subs[sub.customer_id].append(sub)
    problems = {
        cid: int(n)
        for cid, n in session.execute(
            select(ServiceProblem.customer_id, func.count())
            .where(ServiceProblem.state.in_(OPEN_PROBLEM_STATES), ServiceProblem.customer_id.in_(ids))
            .group_by(ServiceProblem.customer_id)
        )
    }
    credits = {
        cid: Decimal(str(total))
        for cid, total in session.execute(
            select(CreditRecord.customer_id, func.coalesce(func.sum(CreditRecord.amount), 0))
            .where(CreditRecord.month == month, CreditRecord.customer_id.in_(ids))
            .group_by(CreditRecord.customer_id)
        )
    }
    out = []
    for c in customers:
        currency = c.accounts[0].currency if c.accounts else ""
        out.append(
            CustomerOverview(
                c,
                subs.get(c.id, []),
                problems.get(c.id, 0),
                credits.get(c.id, Decimal(0)),
                currency,
            )
        )
    return Page(out, total)


@dataclass(frozen=True)
class CustomerDetail:
    customer: Customer
    subscriptions: list[Subscription]
    orders: list[ProductOrder]
    orders_total: int
    problems: list[ServiceProblem]
    problems_total: int
    messages: list[CustomerMessage]
    messages_total: int
    credits: list[CreditRecord]
    credits_total: int
    service_refs: dict[int, str] = field(default_factory=dict)  # service pk -> external id


def customer_detail(session: Session, customer_id: str) -> CustomerDetail | None:
    customer = customer_by_id(session, customer_id)
    if customer is None:
        return None
    subs = list(
        session.scalars(
            select(Subscription)
            .where(Subscription.customer_id == customer_id)
            .options(joinedload(Subscription.service), joinedload(Subscription.offering))
            .order_by(Subscription.started_at.desc(), Subscription.service_id)
        )
    )
    orders = list_orders(session, OrderFilter(customers=frozenset({customer_id})), limit=DETAIL_ROWS)
    problems = list_problems(session, ProblemFilter(customers=frozenset({customer_id})), limit=DETAIL_ROWS)
    messages = list_messages(session, MessageFilter(customers=frozenset({customer_id})), limit=DETAIL_ROWS)
    credits = list_credits(session, CreditFilter(customers=frozenset({customer_id})), limit=DETAIL_ROWS)
    refs = service_refs(session, [c.service_id for c in credits.items])
    refs.update({s.service_id: s.service.external_id or f"SVC-{s.service_id}" for s in subs})
    return CustomerDetail(
        customer,
        subs,
        orders.items,
        orders.total,
        problems.items,
        problems.total,
        messages.items,
        messages.total,
        credits.items,
        credits.total,
        refs,
    )


def service_refs(session: Session, service_ids: Sequence[int]) -> dict[int, str]:
    """Service pk -> its TMF id (the external id, or ``SVC-<pk>`` for a service without one)."""
    ids = sorted(set(service_ids))
    if not ids:
        return {}
    rows = session.execute(select(Service.id, Service.external_id).where(Service.id.in_(ids)))
    return {pk: ext or f"SVC-{pk}" for pk, ext in rows}


def service_pk(session: Session, ref: str) -> int | None:
    """The pk of the service with this TMF id (external id, or ``SVC-<pk>``)."""
    found = session.scalar(select(Service.id).where(Service.external_id == ref))
    if found is not None:
        return int(found)
    if ref.startswith("SVC-") and ref[4:].isdigit() and len(ref) < 20:
        pk = int(ref[4:])
        if session.scalar(select(Service.id).where(Service.id == pk, Service.external_id.is_(None))):
            return pk
    return None


# -- service problems ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemFilter:
    ids: frozenset[str] = frozenset()
    states: frozenset[ProblemState] = frozenset()
    services: frozenset[str] = frozenset()  # TMF ids of the affected services
    customers: frozenset[str] = frozenset()
    creation: TimeRange = TimeRange()
    planned: bool | None = None


def _service_ref_condition(column: InstrumentedAttribute[int], refs: frozenset[str]) -> ColumnElement[bool]:
    by_ext = select(Service.id).where(Service.external_id.in_(sorted(refs)))
    pks = [int(r[4:]) for r in refs if r.startswith("SVC-") and r[4:].isdigit() and len(r) < 20]
    if not pks:
        return column.in_(by_ext)
    no_ext = select(Service.id).where(Service.id.in_(pks), Service.external_id.is_(None))
    return or_(column.in_(by_ext), column.in_(no_ext))


def _problem_conditions(f: ProblemFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.ids:
        out.append(_in(ServiceProblem.id, f.ids))
    if f.states:
        out.append(_in(ServiceProblem.state, f.states))
    if f.services:
        out.append(_service_ref_condition(ServiceProblem.service_id, f.services))
    if f.customers:
        out.append(_in(ServiceProblem.customer_id, f.customers))
    if f.planned is not None:
        out.append(ServiceProblem.planned.is_(f.planned))
    out.extend(f.creation.conditions(ServiceProblem.opened_at))
    return out


def list_problems(
    session: Session, f: ProblemFilter = ProblemFilter(), *, offset: int = 0, limit: int | None = None
) -> Page[ServiceProblem]:
    """Newest first, with their service."""
    stmt = (
        select(ServiceProblem)
        .where(*_problem_conditions(f))
        .order_by(ServiceProblem.opened_at.desc(), ServiceProblem.id.desc())
    )
    total = _count(session, stmt)
    return Page(_page(session, stmt.options(joinedload(ServiceProblem.service)), offset, limit), total)


def problem_by_id(session: Session, problem_id: str) -> ServiceProblem | None:
    return session.scalar(
        select(ServiceProblem)
        .where(ServiceProblem.id == problem_id)
        .options(joinedload(ServiceProblem.service))
    )


def problem_for_update(session: Session, problem_id: str) -> ServiceProblem | None:
    """The problem, locked against the agent resolving it at the same moment."""
    return session.scalar(
        select(ServiceProblem)
        .where(ServiceProblem.id == problem_id)
        .options(joinedload(ServiceProblem.service))
        .with_for_update(of=ServiceProblem)
    )


@dataclass(frozen=True)
class ProblemDetail:
    """An outage with everything its timeline shows."""

    problem: ServiceProblem
    alarms: list[Alarm]
    messages: list[CustomerMessage]
    credits: list[CreditRecord]
    subscription: Subscription | None
    customer_name: str | None


def problem_detail(session: Session, problem_id: str) -> ProblemDetail | None:
    problem = problem_by_id(session, problem_id)
    if problem is None:
        return None
    alarms = (
        list(
            session.scalars(
                select(Alarm).where(Alarm.id.in_(sorted(set(problem.alarm_ids)))).order_by(Alarm.raised_at)
            )
        )
        if problem.alarm_ids
        else []
    )
    messages = list(
        session.scalars(
            select(CustomerMessage)
            .where(CustomerMessage.problem_id == problem.id)
            .order_by(CustomerMessage.created_at, CustomerMessage.id)
        )
    )
    credits = list(
        session.scalars(
            select(CreditRecord)
            .where(CreditRecord.problem_id == problem.id)
            .order_by(CreditRecord.month, CreditRecord.id)
        )
    )
    sub = session.scalar(
        select(Subscription)
        .where(Subscription.service_id == problem.service_id)
        .options(joinedload(Subscription.offering).joinedload(ProductOffering.sla))
    )
    name = (
        session.scalar(select(Customer.name).where(Customer.id == problem.customer_id))
        if problem.customer_id
        else None
    )
    return ProblemDetail(problem, alarms, messages, credits, sub, name)


# -- customer messages --------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageFilter:
    ids: frozenset[str] = frozenset()
    states: frozenset[MessageState] = frozenset()
    customers: frozenset[str] = frozenset()
    problems: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()


def list_messages(
    session: Session, f: MessageFilter = MessageFilter(), *, offset: int = 0, limit: int | None = None
) -> Page[CustomerMessage]:
    conditions: list[ColumnElement[bool]] = []
    if f.ids:
        conditions.append(_in(CustomerMessage.id, f.ids))
    if f.states:
        conditions.append(_in(CustomerMessage.state, f.states))
    if f.customers:
        conditions.append(_in(CustomerMessage.customer_id, f.customers))
    if f.problems:
        conditions.append(_in(CustomerMessage.problem_id, f.problems))
    if f.channels:
        conditions.append(_in(CustomerMessage.channel, f.channels))
    stmt = (
        select(CustomerMessage)
        .where(*conditions)
        .order_by(CustomerMessage.created_at.desc(), CustomerMessage.id.desc())
    )
    total = _count(session, stmt)
    return Page(_page(session, stmt, offset, limit), total)


def message_by_id(session: Session, message_id: str) -> CustomerMessage | None:
    return session.get(CustomerMessage, message_id)


# -- credits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditFilter:
    ids: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    customers: frozenset[str] = frozenset()
    months: frozenset[str] = frozenset()
    problems: frozenset[str] = frozenset()
    date: TimeRange = TimeRange()  # the record's date (its last change)
    impossible: bool = False  # a filter no credit can match (another rate type)


def _credit_conditions(f: CreditFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.impossible:
        out.append(CreditRecord.id.is_(None))
    if f.ids:
        out.append(_in(CreditRecord.id, f.ids))
    if f.accounts:
        out.append(_in(CreditRecord.billing_account_id, f.accounts))
    if f.customers:
        out.append(_in(CreditRecord.customer_id, f.customers))
    if f.months:
        out.append(_in(CreditRecord.month, f.months))
    if f.problems:
        out.append(_in(CreditRecord.problem_id, f.problems))
    out.extend(f.date.conditions(CreditRecord.updated_at))
    return out


def list_credits(
    session: Session, f: CreditFilter = CreditFilter(), *, offset: int = 0, limit: int | None = None
) -> Page[CreditRecord]:
    """Newest change first."""
    stmt = (
        select(CreditRecord)
        .where(*_credit_conditions(f))
        .order_by(CreditRecord.updated_at.desc(), CreditRecord.id.desc())
    )
    total = _count(session, stmt)
    return Page(_page(session, stmt, offset, limit), total)


def credit_by_id(session: Session, credit_id: str) -> CreditRecord | None:
    return session.get(CreditRecord, credit_id)


@dataclass(frozen=True)
class CreditTotal:
    currency: str
    amount: Decimal
    count: int


def credit_totals(session: Session, f: CreditFilter) -> list[CreditTotal]:
    """The credits matching ``f`` summed per currency."""
    rows = session.execute(
        select(CreditRecord.currency, func.coalesce(func.sum(CreditRecord.amount), 0), func.count())
        .where(*_credit_conditions(f))
        .group_by(CreditRecord.currency)
        .order_by(CreditRecord.currency)
    )
    return [CreditTotal(cur, Decimal(str(amount)), int(n)) for cur, amount, n in rows]


def customer_names(session: Session, ids: Sequence[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {
        cid: name
        for cid, name in session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(wanted)))
    }
