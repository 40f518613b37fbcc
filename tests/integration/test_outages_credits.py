"""Outages from alarms, customer notices queued exactly once, SLA credits recorded once and
recomputed in place (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agent.bss.outages import track
from agent.context import Context
from agent.faults.correlate import LINK_DOWN
from agent.faults.engine import FaultConfig, Signal
from agent.faults.process import process
from bss_bridge.credits import credit_for_problem, month_end, statement
from bss_bridge.seed import DEMO_SEED, load_seed_file
from inventory.alarm_ops import clear
from inventory.bss_models import CreditRecord, CustomerMessage, ServiceProblem, Subscription
from inventory.choices import AlarmState, EventSource, IfStatus, ProblemState, ServiceState
from inventory.fault_models import Alarm, OutboxMessage, Service, ServiceResource
from inventory.models import Device, Interface

T0 = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)


@pytest.fixture
def world(ctx: Context) -> dict[str, int]:
    with ctx.begin() as s:
        load_seed_file(s, DEMO_SEED)
        d = Device(name="pe1", host="127.0.0.9", platform="srlinux")
        for n in (1, 2, 3):
            d.interfaces.append(
                Interface(
                    if_index=n, name=f"ethernet-1/{n}", admin_status=IfStatus.UP, oper_status=IfStatus.UP
                )
            )
        s.add(d)
        s.flush()
        svc = Service(external_id="SVC-77", name="Business Internet 100M SVC-77", service_type="internet-access",
                      state=ServiceState.ACTIVE, customer_ref="CUST-42")  # fmt: skip
        svc.resources.append(ServiceResource(device_id=d.id, interface_id=d.interfaces[2].id))
        s.add(svc)
        s.flush()
        s.add(Subscription(service_id=svc.id, customer_id="CUST-42", billing_account_id="BA-42", offering_id="OFF-INET-100M",
                           monthly_price=Decimal("199.00"), currency="EUR", started_at=T0 - timedelta(days=40)))  # fmt: skip
        return {"device": d.id, "service": svc.id}


def cut(ctx: Context, device: int, at: datetime, planned: bool = False) -> int:
    with ctx.begin() as s:
        out = process(
            s, [Signal(device, LINK_DOWN, True, at, EventSource.TRAP, if_index=3)], FaultConfig(), at
        )
        alarm = s.get(Alarm, out.alarm_ids[0])
        assert alarm is not None
        alarm.announced = True  # settled and announced (the announcer's job)
        alarm.planned = planned
        return alarm.id


def restore(ctx: Context, alarm_id: int, at: datetime) -> None:
    with ctx.begin() as s:
        a = s.get(Alarm, alarm_id)
        assert a is not None
        clear(a, at, "linkUp")


def test_outage_notices_and_credit_to_the_cent(ctx: Context, world: dict[str, int]) -> None:
    alarm = cut(ctx, world["device"], T0)
    with ctx.begin() as s:
        assert len(track(s, T0 + timedelta(seconds=2)).opened) == 1
    with ctx.begin() as s:  # a second pass opens nothing new and queues nothing again
        assert not track(s, T0 + timedelta(seconds=4)).opened
        p = s.scalars(select(ServiceProblem)).one()
        assert p.state is ProblemState.IN_PROGRESS and p.alarm_ids == [alarm] and not p.planned
        msgs = s.scalars(select(CustomerMessage).order_by(CustomerMessage.channel)).all()
        assert [(m.kind, m.channel) for m in msgs] == [("interrupted", "email"), ("interrupted", "webhook")]
        assert "interruption" in msgs[0].subject.lower() and p.id in msgs[0].content
        assert (
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.channel.in_(["email", "webhook"]))
            )
            == 2
        )
    restore(ctx, alarm, T0 + timedelta(minutes=150))
    with ctx.begin() as s:
        changes = track(s, T0 + timedelta(minutes=150, seconds=2))
        assert len(changes.resolved) == 1
        kinds = sorted(m.kind for m in s.scalars(select(CustomerMessage)))
        assert kinds == ["interrupted", "interrupted", "restored", "restored"]
        c = s.scalars(select(CreditRecord)).one()
        # 150 of 44,640 minutes: 99.6640% -> the 10% band of 199.00 EUR
        assert (c.unavailable_minutes, c.credit_pct, c.amount, c.currency) == (
            Decimal("150"),
            Decimal(10),
            Decimal("19.90"),
            "EUR",
        )
        assert c.problem_id == changes.resolved[0].id and c.kind == "outage"
        assert (
            credit_for_problem(s, changes.resolved[0], T0 + timedelta(days=1))[0].changed is False
        )  # idempotent
        assert s.scalar(select(func.count()).select_from(CreditRecord)) == 1


def test_planned_outage_sends_planned_notices_and_no_credit(ctx: Context, world: dict[str, int]) -> None:
    alarm = cut(ctx, world["device"], T0, planned=True)
    with ctx.begin() as s:
        track(s, T0)
    restore(ctx, alarm, T0 + timedelta(hours=3))
    with ctx.begin() as s:
        track(s, T0 + timedelta(hours=3))
        assert sorted({m.kind for m in s.scalars(select(CustomerMessage))}) == [
            "planned-work",
            "planned-work-done",
        ]
        assert s.scalar(select(func.count()).select_from(CreditRecord)) == 0


def test_reclassified_as_planned_recomputes_never_duplicates(ctx: Context, world: dict[str, int]) -> None:
    alarm = cut(ctx, world["device"], T0)
    with ctx.begin() as s:
        track(s, T0)
    restore(ctx, alarm, T0 + timedelta(minutes=300))
    with ctx.begin() as s:
        track(s, T0 + timedelta(minutes=300))
        first = s.scalars(select(CreditRecord)).one()
        assert first.amount == Decimal("49.75")  # 300 minutes: 99.33% -> 25%
        p = s.scalars(select(ServiceProblem)).one()
        p.planned = True
        change = credit_for_problem(s, p, T0 + timedelta(days=1))[0]
        assert change.changed and not change.created
    with ctx.begin() as s:
        rows = s.scalars(select(CreditRecord)).all()
        assert len(rows) == 1 and rows[0].amount == 0 and rows[0].revision == 2


def test_month_end_makes_the_total_exact_for_an_open_outage(ctx: Context, world: dict[str, int]) -> None:
    start = datetime(2026, 3, 31, 23, 0, tzinfo=UTC)
    cut(ctx, world["device"], start)
    with ctx.begin() as s:
        track(s, start)
        # still open at month end: 60 minutes of March unavailable
        changes = month_end(s, "2026-03", datetime(2026, 4, 1, 1, 0, tzinfo=UTC))
        assert len(changes) == 1 and changes[0].record.kind == "month-end"
        assert changes[0].record.unavailable_minutes == Decimal(60)
        assert month_end(s, "2026-03", datetime(2026, 4, 1, 2, 0, tzinfo=UTC))[0].changed is False
        doc = statement(s, "CUST-42", "2026-03")
        assert doc["total_fees"] == Decimal("199.00") and doc["total_credits"] == changes[0].record.amount
        assert s.scalars(select(Alarm)).one().state is AlarmState.RAISED
